"""Strict wire-format fields and validators shared by every intake channel."""
import re

import nhs_number as nhs
from marshmallow import ValidationError, fields

# Outward code AN, ANN, ANA, AAN, AANN, AANA; inward digit + two letters, never
# C I K M O V; Q V X never first, I J Z never second (standards.md section 5).
_POSTCODE = re.compile(
    r"^(?:GIR ?0AA|"
    r"(?:[A-PR-UWYZ][0-9][0-9]?|[A-PR-UWYZ][A-HK-Y][0-9][0-9]?|"
    r"[A-PR-UWYZ][0-9][A-HJKPSTUW]|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY])"
    r" ?[0-9][ABD-HJLNP-UW-Z]{2})$"
)
_DISPOSITION = re.compile(r"^dx(\d{2,4})$", re.IGNORECASE)
_PRINTABLE = re.compile(r"^[\x20-\x7e]+$")


class StrictInteger(fields.Integer):
    """A JSON integer only: not "4", not 4.5, and not true (bool is an int in Python)."""

    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)

    def _validated(self, value):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._validated(value)


class StrictBoolean(fields.Boolean):
    """true or false only: "yes" or 1 in a clinical field is a sender's bug, not consent."""

    default_error_messages = {"invalid": "Must be true or false."}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class Postcode(fields.String):
    """A UK postcode, stored normalised: upper case, one space before the inward code."""

    default_error_messages = {"invalid_postcode": "Not a valid UK postcode (for example NN1 5BD)."}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        compact = re.sub(r"\s+", "", text).upper()
        if not (5 <= len(compact) <= 7) or not _POSTCODE.match(compact):
            raise self.make_error("invalid_postcode")
        return f"{compact[:-3]} {compact[-3:]}"


class NhsNumber(fields.String):
    """Ten digits (spaces allowed) with a valid modulus-11 check digit, stored as digits."""

    default_error_messages = {
        "format": "An NHS number is 10 digits (spaces allowed), for example 943 476 5919.",
        "checksum": "This NHS number fails its check digit: please check it with the referrer.",
    }

    def __init__(self, check_digit: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.check_digit = check_digit

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        digits = text.replace(" ", "")
        if not re.fullmatch(r"\d{10}", digits):
            raise self.make_error("format")
        if self.check_digit and not is_valid_nhs_number(digits):
            raise self.make_error("checksum")
        return digits


def is_valid_nhs_number(digits: str) -> bool:
    return nhs.is_valid(digits)


class Disposition(fields.String):
    """An NHS Pathways disposition: Dx and 2-4 digits in any case, stored as Dx02."""

    default_error_messages = {"invalid": "A Pathways disposition is Dx followed by 2 to 4 digits (for example Dx05)."}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        match = _DISPOSITION.match(text)
        if not match:
            raise self.make_error("invalid")
        return "Dx" + match.group(1)


def printable(value: str) -> None:
    if not _PRINTABLE.match(value):
        raise ValidationError("Use printable characters only (letters, digits, punctuation, spaces).")


def flatten_errors(messages, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested error dict -> {"patient.nhs_number": [...]} as the contract asks."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = prefix if key == "_schema" else (f"{prefix}.{key}" if prefix else str(key))
            for path, msgs in flatten_errors(value, name).items():
                flat.setdefault(path, []).extend(msgs)
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        flat[prefix or "_body"] = list(messages)
    elif isinstance(messages, list):
        for item in messages:
            for path, msgs in flatten_errors(item, prefix).items():
                flat.setdefault(path, []).extend(msgs)
    else:
        flat[prefix or "_body"] = [str(messages)]
    return flat
