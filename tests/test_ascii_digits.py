"""A number is written in the ASCII digits 0-9, in every place that reads one
(rules/digits.py): other scripts' digits ("١٢٣", full-width "１２"), superscripts
("²") and int()'s own leniencies ("+3", "3_0", " 3\\n") are refused by each, the
same way. The surfaces' own refusals (problem+json, beside a field) are pinned in
tests/api/test_hostile_input.py and tests/web/test_hostile_form_input.py."""
from datetime import timedelta

import pytest
from marshmallow import Schema, ValidationError
from werkzeug.exceptions import NotFound

from rules.clock_policy import parse_duration
from rules.digits import ascii_int, is_ascii_digits
from rules.facts import disposition_code, normalise_disposition
from spoa import create_app
from spoa.config import Config, TestConfig
from spoa.schemas.fhir.adapter import loose_nhs_number
from spoa.schemas.fields import AsciiInteger, Disposition, NhsNumber
from spoa.schemas.form_input import whole_number
from spoa.web.security import _split

NOT_ASCII = ["١٢", "²", "１２", "1٢", "۱۲", "१२"]  # Arabic-Indic, superscript, full-width, mixed, Persian, Devanagari
NOT_PLAIN = ["+12", "1_2", " 12", "12\n", "", "-", "1.0", "9" * 5000]


@pytest.mark.parametrize("text", NOT_ASCII + NOT_PLAIN)
def test_the_primitive_refuses_anything_but_ascii_digits(text):
    assert not is_ascii_digits(text) and ascii_int(text) is None and ascii_int(text, signed=True) is None


def test_the_primitive_reads_ascii_digits():
    assert ascii_int("012") == 12 and ascii_int("-12", signed=True) == -12 and ascii_int("-12") is None
    assert is_ascii_digits("9434765919", least=10, most=10) and not is_ascii_digits("943476591", least=10, most=10)
    assert not is_ascii_digits(12)  # a str, not a number that happens to be one


def _load(field, value):
    return type("One", (Schema,), {"value": field})().load({"value": value})["value"]


@pytest.mark.parametrize("digits", NOT_ASCII)
def test_each_reader_of_a_number_refuses_other_scripts_digits(digits):
    with pytest.raises(ValidationError):
        _load(AsciiInteger(), digits)  # a query string's page
    assert whole_number(digits) == digits.strip()  # a form's number box: left as text, for its schema to refuse
    nhs = digits * 5 if len(digits) == 2 else digits * 10
    with pytest.raises(ValidationError, match="10 digits"):
        _load(NhsNumber(), nhs)
    assert loose_nhs_number(nhs) is None  # a FHIR message's reported number
    with pytest.raises(ValidationError, match="Dx followed by 2 to 4 digits"):
        _load(Disposition(), "Dx" + digits)
    assert disposition_code("dx" + digits) is None
    assert normalise_disposition("dx" + digits) == "dx" + digits  # not taken for a Dx code the rules know
    with pytest.raises(ValueError, match="bad duration"):
        parse_duration(digits + "h")  # clocks.yaml
    with pytest.raises(ValueError, match="RETAIN_FHIR_BODY_DAYS must be a whole number of days"):
        Config({"RETAIN_FHIR_BODY_DAYS": digits})
    assert _split(digits + ":token") is None  # a session's user id


def test_the_readers_still_read_ascii_digits():
    assert _load(AsciiInteger(), "3") == 3 and whole_number(" 600 ") == 600
    assert _load(NhsNumber(), "943 476 5919") == "9434765919" == loose_nhs_number("943 476 5919")
    assert _load(Disposition(), " dx05 ") == "Dx05" == disposition_code("DX05") == normalise_disposition("dX05")
    assert parse_duration(" 2 h ") == timedelta(hours=2)
    assert Config({"RETAIN_FHIR_BODY_DAYS": "30"}).RETAIN_FHIR_BODY_DAYS == 30
    assert _split("12:token") == (12, "token")


@pytest.mark.parametrize("path", ["/notifications/١/take", "/notifications/１/take", "/notifications/²/take"])
def test_an_id_in_a_path_is_ascii_digits(path):
    # Werkzeug's own <int:> matches \d+ and int() reads "١" as 1: a second address for notification 1.
    app = create_app(TestConfig({"SECRET_KEY": "x" * 32, "DATABASE_URL": "sqlite://"}))
    routes = app.url_map.bind("localhost")
    assert routes.match("/notifications/1/take", method="POST") == ("web.take_notification", {"notification_id": 1})
    with pytest.raises(NotFound):
        routes.match(path, method="POST")
