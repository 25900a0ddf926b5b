"""Fields for what a person types into an admin form or a CLI option.

A page's form and a command's options are loaded by the same schemas (users.py,
api_clients.py, services.py), so a blank box and an absent option are the same
thing here: not given. Messages say what to do, as the page shows them beside
the field and the CLI after the option's name (errors.py).
"""
import re
from datetime import date

from marshmallow import Schema, ValidationError, fields, pre_load, validate

from rules.digits import ascii_int
from spoa.schemas.fields import OdsCode


def whole_number(text: str):
    """What a person typed into a number box: an int if it is one in ASCII digits
    (rules/digits.py), else the text itself, for the schema to refuse beside the field."""
    text = text.strip()
    number = ascii_int(text, signed=True)
    return text if number is None else number


_UK_DATE = re.compile(r"^([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})$")  # ASCII digits only


def iso_date(text: str) -> str:
    """A date as people in the UK type it (14/03/1938) -> ISO; anything else as typed,
    for the schema to judge (the referral forms and the reports page's period)."""
    match = _UK_DATE.match(text.strip())
    if not match:
        return text.strip()
    day, month, year = (int(g) for g in match.groups())
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return text.strip()


NAME_MAX = 120  # api_clients.name and services.name


class FormSchema(Schema):
    """An admin form's schema: an empty value is one not given (a blank box posts "",
    an option left out is None), so `required` and `load_default` mean the same
    from the page and the CLI."""

    @pre_load
    def _drop_blanks(self, data, **_):
        return {key: value for key, value in data.items() if value is not None and value != ""}


class Trimmed(fields.String):
    """Text with the spaces round it dropped (a name pasted with a trailing space is
    the same name). Blank after trimming is the `required` mistake."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not text:
            raise self.make_error("required")
        return text


class Password(fields.String):
    """Taken exactly as typed: never trimmed, as a space may be part of it (and never shown again)."""


class HospitalCode(OdsCode):
    """A hospital's ODS code as an admin types it: the wire's OdsCode (3 to 6 ASCII
    letters and digits, stored upper case, so a ward user given "rns01" reads the
    discharges RNS01 sends), with the spaces round it dropped, as any typed box."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value.strip() if isinstance(value, str) else value, attr, data, **kwargs)


def name_field(**kwargs) -> Trimmed:
    """A client's or a service's name, as staff will know it."""
    return Trimmed(required=True, error_messages={"required": "Enter a name"},
                   validate=validate.Length(max=NAME_MAX, error=f"The name must be at most {NAME_MAX} characters"),
                   **kwargs)


class WholeNumber(fields.Integer):
    """A number typed in a box (text in ASCII digits) or given to the CLI (an int):
    not "٣" (int() would take it as 3), not true, not 4.5."""

    default_error_messages = {"invalid": "Enter a whole number, for example 600"}

    def _deserialize(self, value, attr, data, **kwargs):
        number = whole_number(value) if isinstance(value, str) else value
        if isinstance(number, bool) or not isinstance(number, int):
            raise self.make_error("invalid")
        return number


def one_error(field: str, message: str) -> ValidationError:
    """The mistake a service finds with the database (a name taken), told as the
    schema tells its own: one message beside one field."""
    return ValidationError({field: [message]})
