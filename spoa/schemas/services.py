"""Services and voluntary organisations as an administrator sets them up: on the
Services page or with `flask spoa add-voluntary-org`, loaded here the same way.

What a service may be is the routing policy's (its services and routes); which
voluntary organisations exist is the database's, read here as the list of
choices. Whether a code is already taken is services/service_setup.py's to ask.
"""
import re

from marshmallow import ValidationError, fields, validate, validates
from sqlalchemy import select

from spoa.domain.policy import current_policy
from spoa.extensions import db
from spoa.models import Service
from spoa.platform.timekeeping import parse_weekdays
from spoa.schemas.form_input import FormSchema, Trimmed, name_field

ORG_CODE_MAX = 32  # services.code
_ORG_CODE = re.compile(r"^[a-z0-9_]+$")


def service_codes() -> dict[str, str]:
    """The routes the policy calls services (code -> name): the only codes a
    Service row of kind clinical may name."""
    return current_policy().services


def voluntary_codes() -> dict[str, str]:
    """The active voluntary organisations on the duty rota (code -> name)."""
    rows = db.session.execute(select(Service.code, Service.name)
                              .where(Service.kind == "voluntary", Service.is_active).order_by(Service.name))
    return dict(rows.all())


def assignable_services() -> dict[str, str]:
    """What a clinician or a service's system may belong to: a policy service, or
    an active voluntary organisation (its clinicians see what it is offered)."""
    return {**service_codes(), **voluntary_codes()}


def unknown_service(code: str) -> str:
    return f"Unknown service {code} (known: {', '.join(assignable_services())})"


# --- duty days -------------------------------------------------------------------

# Weekday names and numbering (ISO, 1 = Monday) are the calendar's (rules/calendar.py).
def parse_duty_days(days) -> list[int]:
    """Weekdays as ISO numbers, from names (mon, Monday) or numbers 1-7; a
    ValidationError naming the one not understood."""
    try:
        return sorted(parse_weekdays(days))
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


_NO_DAYS = "Choose the days it is on duty (to take it off the rota, deactivate it)"


class DutyDays(fields.Field):
    """Ticked boxes (["1", "6"]) or the CLI's names (["mon", "Saturday"]) -> [1, 6]."""

    default_error_messages = {"required": _NO_DAYS, "invalid": "Give the days as a list"}

    def __init__(self, **kwargs):
        super().__init__(required=True, validate=validate.Length(min=1, error=_NO_DAYS), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, (list, tuple)):
            raise self.make_error("invalid")
        return parse_duty_days(value)


def duty_days_field() -> DutyDays:
    return DutyDays(metadata={"label": "Days on duty", "many": True})


# --- the schemas -------------------------------------------------------------------

class NewServiceSchema(FormSchema):
    """A Service row is one of the policy's services, set up once."""

    code = Trimmed(required=True, error_messages={"required": "Choose the service"}, metadata={"label": "Route"})
    name = name_field(metadata={"label": "Name"})

    @validates("code")
    def _code(self, code, **_):
        if code not in service_codes():
            raise ValidationError(f"{code} is not a service in the routing policy "
                                  f"(known: {', '.join(service_codes())})")


class NewVoluntaryOrgSchema(FormSchema):
    """A voluntary organisation on the duty rota. Its code is short, lower case, and
    no route's: a referral's holder is its organisation's code or else its route."""

    code = Trimmed(required=True, error_messages={"required": "Enter a code, for example good_neighbours"},
                   metadata={"label": "Code"})
    name = name_field(metadata={"label": "Name"})
    duty_days = duty_days_field()

    @validates("code")
    def _code(self, code, **_):
        if len(code) > ORG_CODE_MAX or not _ORG_CODE.match(code):
            raise ValidationError(f"The code is lower-case letters, digits and _ only, "
                                  f"at most {ORG_CODE_MAX} characters")
        if code in current_policy().routes:
            raise ValidationError(f"{code} is a route in the routing policy: choose another code")


class DutyDaysSchema(FormSchema):
    duty_days = duty_days_field()
