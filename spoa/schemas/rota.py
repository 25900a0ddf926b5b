"""A shift on the duty rota as an editor types it: on the /rota page or with
`flask spoa add-duty`, loaded here the same way. Times are UK wall time
(spoa/platform/timekeeping.parse_uk, as the handover page's). Who may hold the duty, who may edit it and whether it
clashes with a shift already there need the database: services/rota.py asks."""
from datetime import timedelta

from marshmallow import ValidationError, fields, validates, validates_schema
from sqlalchemy import select

from spoa.domain.policy import current_policy
from spoa.extensions import db
from spoa.models import User
from spoa.models.duty_shift import DUTIES, SERVICE_DUTY_LEAD
from spoa.models.user import username_key
from spoa.schemas.fields import UkLocalTime
from spoa.schemas.form_input import FormSchema, Trimmed

# A shift is at most a week: long enough for a manager's week of on-call (or a
# Friday-to-Monday weekend), short enough that a year or month typed wrong
# (2027 for 2026) is caught rather than hiding every gap for months.
SHIFT_MAX = timedelta(days=7)


class StaffUser(Trimmed):
    """A username -> the User (case ignored, as at sign-in)."""

    def _deserialize(self, value, attr, data, **kwargs):
        name = super()._deserialize(value, attr, data, **kwargs)
        user = db.session.scalar(select(User).where(User.username == username_key(name)))
        if user is None:
            raise ValidationError(f"There is no user called {name}")
        return user


class NewShiftSchema(FormSchema):
    duty = fields.String(required=True, error_messages={"required": "Choose a duty"}, metadata={"label": "Duty"})
    service = fields.String(load_default=None, metadata={"label": "Service (a service's duty lead only)"})
    user = StaffUser(required=True, data_key="username", error_messages={"required": "Enter who is on duty"},
                     metadata={"label": "Who (username)"})
    starts_at = UkLocalTime("start", required=True, error_messages={"required": "Enter when the shift starts"},
                            metadata={"label": "Starts (UK time)"})
    ends_at = UkLocalTime("end", required=True, error_messages={"required": "Enter when the shift ends"},
                          metadata={"label": "Ends (UK time)"})

    @validates("duty")
    def _duty(self, duty, **_):
        if duty not in DUTIES:
            raise ValidationError(f"Unknown duty {duty} (known: {', '.join(DUTIES)})")

    @validates_schema(skip_on_field_errors=False)
    def _service_and_times(self, data, **_):
        duty, service = data.get("duty"), data.get("service")
        services = current_policy().services
        if duty == SERVICE_DUTY_LEAD and not service:
            raise ValidationError("A service's duty lead is for one service: choose it", "service")
        if duty in DUTIES and duty != SERVICE_DUTY_LEAD and service:
            raise ValidationError("Only a service's duty lead has a service: leave it out for this duty",
                                  "service")
        if service and service not in services:
            raise ValidationError(f"Unknown service {service} (known: {', '.join(services)})", "service")
        starts_at, ends_at = data.get("starts_at"), data.get("ends_at")
        if starts_at and ends_at:
            if ends_at <= starts_at:
                raise ValidationError("The shift must end after it starts", "ends_at")
            if ends_at - starts_at > SHIFT_MAX:
                raise ValidationError(f"A shift is at most {SHIFT_MAX.days} days: split a longer one", "ends_at")
