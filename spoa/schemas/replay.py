"""The period of a rules replay, as the CLI's options and the admin page's form give it."""
from marshmallow import ValidationError, post_load, validates_schema

from spoa.domain.period import LONGEST_DAYS, Period
from spoa.platform.timekeeping import now, uk_date
from spoa.schemas.fields import AsciiDate
from spoa.schemas.form_input import FormSchema, Trimmed, iso_date


class UkDay(AsciiDate):
    """A UK date as typed here: 24/11/2026, or ISO 2026-11-24 (a date box and the CLI)."""

    default_error_messages = {"invalid": "Enter a date, for example 24/11/2026"}

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(iso_date(value) if isinstance(value, str) else value, attr, data, **kwargs)


class ReplaySchema(FormSchema):
    """since and until are UK days, both included; until defaults to today."""

    since = UkDay(required=True, metadata={"label": "From (UK date)"},
                  error_messages={"required": "Enter the first day to replay, for example 01/11/2026"})
    until = UkDay(metadata={"label": "To (UK date, included)"})
    rev = Trimmed(metadata={"label": "Git revision"})

    @validates_schema
    def _a_period(self, data, **_):
        today = uk_date(now())
        since, until = data.get("since"), data.get("until") or today
        if since is None:
            return
        if since > today:
            raise ValidationError("The first day is after today: nothing has been received yet", "since")
        if until < since:
            raise ValidationError("The last day is before the first", "until")
        if (until - since).days + 1 > LONGEST_DAYS:
            raise ValidationError(f"Replay at most {LONGEST_DAYS} days at a time", "until")

    @post_load
    def _period(self, data, **_):
        data["period"] = Period(data["since"], data.get("until") or uk_date(now()))
        return data

