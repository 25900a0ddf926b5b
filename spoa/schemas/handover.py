"""The handover page's window (?start=&end=): two UK local times, as people type
them (01/12/2026 20:00) or as <input type="datetime-local"> and the page's own
links carry them (2026-12-01T20:00). Both or neither: neither is the default
window (the supervisor's own shift, else the next 12 hours: services/handover.py).

A local time the clock change skips (01:30 on the spring-forward Sunday) or
passes twice (01:30 on the autumn Sunday) is refused with a message saying so:
a handover of the wrong hour is worse than a question."""
import re
from datetime import datetime, timedelta

from marshmallow import Schema, ValidationError, fields, post_load, pre_load, validates_schema

from ..clocks import UK, UTC

LONGEST = timedelta(hours=24)  # one shift and its overlap; a longer list is not a handover
# ASCII digits only ([0-9], never \d: other scripts' digits are not a time anyone typed).
_ISO = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2})(?::[0-9]{2})?")
_TYPED = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4}),? ([0-9]{1,2}):([0-9]{2})")


def uk_instant(text: str, what: str) -> datetime:
    """A UK wall-clock time -> the UTC instant, or ValidationError (saying why)."""
    iso, typed = _ISO.fullmatch(text), _TYPED.fullmatch(text)
    try:
        if iso:
            year, month, day, hour, minute = (int(g) for g in iso.groups())
        elif typed:
            day, month, year, hour, minute = (int(g) for g in typed.groups())
        else:
            raise ValueError(text)
        local = datetime(year, month, day, hour, minute)
    except ValueError:
        raise ValidationError(f"Enter the {what} as day/month/year and a time, for example 01/12/2026 20:00") from None
    early, late = local.replace(tzinfo=UK, fold=0), local.replace(tzinfo=UK, fold=1)
    instant = early.astimezone(UTC)
    if instant.astimezone(UK).replace(tzinfo=None) != local:
        raise ValidationError(f"{local:%H:%M} on {local:%d/%m/%Y} does not exist in the UK (the clocks go forward): "
                              "choose a time outside the hour that is skipped")
    # Inside the gap fold=0 and fold=1 differ too: the gap is asked first.
    if early.utcoffset() != late.utcoffset():
        raise ValidationError(f"{local:%H:%M} on {local:%d/%m/%Y} happens twice (the clocks go back): "
                              "choose a time outside the hour that repeats")
    return instant


class UkLocalTime(fields.String):
    def __init__(self, what: str, **kwargs):
        super().__init__(**kwargs)
        self.what = what

    def _deserialize(self, value, attr, data, **kwargs):
        return uk_instant(super()._deserialize(value, attr, data, **kwargs).strip(), self.what)


class HandoverWindowSchema(Schema):
    class Meta:
        unknown = "exclude"  # a link's other parameters are not the question

    start = UkLocalTime("start", load_default=None, metadata={"label": "From (UK time)"})
    end = UkLocalTime("end", load_default=None, metadata={"label": "To (UK time)"})

    @pre_load
    def _drop_blanks(self, data, **_):
        return {key: value for key, value in data.items() if value is not None and str(value).strip() != ""}

    @validates_schema(skip_on_field_errors=True)
    def _window(self, data, **_):
        start, end = data.get("start"), data.get("end")
        if (start is None) != (end is None):
            missing = "end" if end is None else "start"
            raise ValidationError(f"Enter the {missing} as well, or leave both blank for your shift", missing)
        if start is None:
            return
        if end <= start:
            raise ValidationError("The end must be after the start", "end")
        if end - start > LONGEST:
            raise ValidationError(f"A handover covers at most {int(LONGEST.total_seconds()) // 3600} hours: "
                                  "choose an earlier end", "end")

    @post_load
    def _pair(self, data, **_):
        return (data["start"], data["end"]) if data.get("start") else None
