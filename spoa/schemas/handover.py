"""The handover page's window (?start=&end=): two UK local times, as people type
them (01/12/2026 20:00) or as <input type="datetime-local"> and the page's own
links carry them (2026-12-01T20:00). Both or neither: neither is the default
window (the supervisor's own shift, else the next 12 hours: services/handover.py).

A local time the clock change skips (01:30 on the spring-forward Sunday) or
passes twice (01:30 on the autumn Sunday) is refused with a message saying so
(spoa/platform/timekeeping.parse_uk, the rota's too): a handover of the wrong hour is worse than a question."""
from datetime import timedelta

from marshmallow import Schema, ValidationError, post_load, pre_load, validates_schema

from spoa.schemas.fields import UkLocalTime

LONGEST = timedelta(hours=24)  # one shift and its overlap; a longer list is not a handover


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
