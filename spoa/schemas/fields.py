"""Strict wire-format fields and validators shared by every intake channel."""
import re
import unicodedata
from datetime import UTC

import nhs_number as nhs
from marshmallow import ValidationError, fields

from rules.digits import ascii_int, is_ascii_digits
from rules.facts import disposition_code
from spoa.platform.timekeeping import parse_uk

# Outward code AN, ANN, ANA, AAN, AANN, AANA; inward digit + two letters, never
# C I K M O V; Q V X never first, I J Z never second (standards.md section 5).
_POSTCODE = re.compile(
    r"^(?:GIR ?0AA|"
    r"(?:[A-PR-UWYZ][0-9][0-9]?|[A-PR-UWYZ][A-HK-Y][0-9][0-9]?|"
    r"[A-PR-UWYZ][0-9][A-HJKPSTUW]|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY])"
    r" ?[0-9][ABD-HJLNP-UW-Z]{2})$"
)
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
        if not is_nhs_number_form(digits):
            raise self.make_error("format")
        if self.check_digit and not is_valid_nhs_number(digits):
            raise self.make_error("checksum")
        return digits


def is_nhs_number_form(digits) -> bool:
    """Ten ASCII digits (spaces already taken out), whatever the check digit says."""
    return is_ascii_digits(digits, least=10, most=10)


def is_valid_nhs_number(digits: str) -> bool:
    return nhs.is_valid(digits)


class OdsCode(fields.String):
    """An ODS organisation code of ``min_len`` to ``max_len`` ASCII letters and digits,
    stored upper case: "rns01" and "RNS01" are one hospital, whose ward users and
    system are matched to its referrals by this code (spoa/domain/relations.py)."""

    # Not "invalid": String raises that, unformatted, for a value that is not text.
    default_error_messages = {"ods": "An ODS code is {min} to {max} letters or digits (for example RNS01)."}

    def __init__(self, min_len: int = 3, max_len: int = 6, **kwargs):
        kwargs.setdefault("metadata", {}).setdefault("pattern", f"^[A-Za-z0-9]{{{min_len},{max_len}}}$")
        super().__init__(**kwargs)
        self.min_len, self.max_len = min_len, max_len
        self._form = re.compile(f"[A-Za-z0-9]{{{min_len},{max_len}}}")

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        # fullmatch: "$" would let "RNS01\n" through, a code no ward user's ever equals.
        if not self._form.fullmatch(text):
            raise self.make_error("ods", min=self.min_len, max=self.max_len)
        return text.upper()


class Disposition(fields.String):
    """An NHS Pathways disposition: Dx and 2-4 digits in any case, stored as Dx02."""

    default_error_messages = {"invalid": "A Pathways disposition is Dx followed by 2 to 4 digits (for example Dx05)."}

    def _deserialize(self, value, attr, data, **kwargs):
        code = disposition_code(super()._deserialize(value, attr, data, **kwargs))
        if code is None:
            raise self.make_error("invalid")
        return code


# Bidirectional controls: embeddings, overrides, isolates and marks. Invisible,
# they change only the order text is shown in, so "Ada" can display as another
# name, or a note read differently from what was sent (Trojan Source).
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_KEPT_CONTROLS = frozenset("\t\n\r")
# Also zero-width space, word joiner and BOM: nothing to see, yet a different name.
_HIDDEN_IN_NAMES = BIDI_CONTROLS | frozenset("\u200b\u2060\ufeff")


def _control(text: str) -> bool:
    """A control character other than tab and line breaks (NUL, ESC, DEL...): never
    typed by a person, and PostgreSQL refuses NUL in any text."""
    return any(unicodedata.category(c) == "Cc" and c not in _KEPT_CONTROLS for c in text)


class Name(fields.String):
    """A person's name: trimmed and NFC-normalised (so "é" typed two ways is one
    name), refused if it holds control or bidirectional characters: a name is
    how a person is found again, and an invisible character would hide them."""

    default_error_messages = {
        "control": "Use letters, spaces, hyphens and apostrophes: this name holds invisible "
                   "control or text-direction characters.",
    }

    def _deserialize(self, value, attr, data, **kwargs):
        text = unicodedata.normalize("NFC", super()._deserialize(value, attr, data, **kwargs)).strip()
        if any(unicodedata.category(c) == "Cc" for c in text) or _HIDDEN_IN_NAMES.intersection(text):
            raise self.make_error("control")
        return text


class FreeText(fields.String):
    """Free text (a description, an address, a reason): NFC-normalised, with
    bidirectional controls removed rather than refused (they carry no words, and
    an urgent referral must not be turned away over invisible formatting pasted
    from a document); other control characters are refused, as no person types them."""

    default_error_messages = {"control": "Remove the control characters (such as NUL) from this text."}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        text = unicodedata.normalize("NFC", "".join(c for c in text if c not in BIDI_CONTROLS))
        if _control(text):
            raise self.make_error("control")
        return text


def _ascii_digits(value) -> bool:
    return not isinstance(value, str) or value.isascii()


class AsciiDate(fields.Date):
    """An ISO date in ASCII digits: marshmallow's parser takes any script's digits."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not _ascii_digits(value):
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE)
        return super()._deserialize(value, attr, data, **kwargs)


class UtcDateTime(fields.AwareDateTime):
    """An ISO instant with its offset, in ASCII digits, returned in UTC. An instant
    that has no UTC form (0001-01-01T00:00+05:00 is before year 1 in UTC) is
    refused here, not met as an OverflowError in a clock or a query."""

    default_error_messages = {"range": "Not a usable instant: it is outside the years 1 to 9999 in UTC."}

    def __init__(self, **kwargs):
        kwargs.setdefault("format", "iso")
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not _ascii_digits(value):
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE)
        parsed = super()._deserialize(value, attr, data, **kwargs)
        try:
            return parsed.astimezone(UTC)
        except (OverflowError, ValueError):
            raise self.make_error("range") from None


class UkLocalTime(fields.String):
    """A UK wall-clock date and time as typed (01/12/2026 20:00) or as a
    datetime-local box and a link carry it (2026-12-01T20:00) -> the UTC instant;
    a time the clocks skip or pass twice refused saying so (spoa/platform/timekeeping.py)."""

    def __init__(self, what: str = "time", **kwargs):
        super().__init__(**kwargs)
        self.what = what  # "start", "end": named in the message

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return parse_uk(super()._deserialize(value, attr, data, **kwargs), self.what)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class AsciiInteger(fields.Integer):
    """A whole number written in ASCII digits (a query string's page): int() would
    take "٣", and fail with a ValueError on thousands of digits."""

    default_error_messages = {"invalid": "Not a valid integer: use the digits 0-9."}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = ascii_int(value, most=9, signed=True)
            if value is None:
                raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


def printable(value: str) -> None:
    if not _PRINTABLE.match(value):
        raise ValidationError("Use printable characters only (letters, digits, punctuation, spaces).")
