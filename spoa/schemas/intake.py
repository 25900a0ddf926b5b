"""Intake contract v1 (intake-contract.md): the one validation every channel uses.

The JSON API, the web form and the FHIR adapter all load a referral through
IntakeSchema, so a referral is valid, or refused, the same way whichever way
it came in. Unknown fields are refused (a typo must never drop clinical data).
"""
from datetime import date, timedelta

from flask import current_app, has_app_context
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates, validates_schema

from ..clocks import now, uk_date
from . import vocab
from .fields import (AsciiDate, Disposition, FreeText, Name, NhsNumber, Postcode, StrictBoolean, StrictInteger,
                     UtcDateTime, printable)

FUTURE_TOLERANCE = timedelta(minutes=5)
OLDEST_BIRTH = date(1890, 1, 1)
DEFAULT_RECEIPT_MAX_AGE_HOURS = 24


def receipt_max_age() -> timedelta:
    """How far back a sender may date received_at (RECEIPT_MAX_AGE_HOURS, default 24 h).
    Older is a sender's clock or data gone wrong: its clocks would start breached
    and escalated, paging the on-call manager about a referral nobody saw."""
    hours = current_app.config.get("RECEIPT_MAX_AGE_HOURS") if has_app_context() else None
    return timedelta(hours=hours if hours is not None else DEFAULT_RECEIPT_MAX_AGE_HOURS)


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


def _text(max_len: int, required: bool = False, min_len: int | None = None, **kw):
    return FreeText(
        required=required,
        validate=validate.Length(min=min_len if min_len is not None else (1 if required else 0), max=max_len),
        **kw,
    )


class ReferrerSchema(StrictSchema):
    name = Name(validate=validate.Length(max=100))
    role = _text(100)
    organisation = _text(200)
    ods_code = fields.String(validate=validate.Regexp(r"^[A-Za-z0-9]{3,10}$", error="An ODS code is 3 to 10 letters or digits."))
    phone = _text(32)


class PatientSchema(StrictSchema):
    nhs_number = NhsNumber(allow_none=True)
    given_name = Name(required=True, validate=validate.Length(max=100))  # blank: said below
    family_name = Name(required=True, validate=validate.Length(max=100))
    date_of_birth = AsciiDate(required=True)
    sex = fields.String(validate=validate.OneOf(vocab.SEXES))
    postcode = Postcode(required=True)
    address = _text(500)
    phone = _text(32)
    lives_alone = StrictBoolean(allow_none=True)
    gp_practice_ods = fields.String(validate=validate.Regexp(r"^[A-Za-z0-9]{3,10}$", error="An ODS code is 3 to 10 letters or digits."))

    @validates("date_of_birth")
    def _born(self, value, **_):
        if value > uk_date(now()):
            raise ValidationError("Date of birth cannot be in the future.")
        if value < OLDEST_BIRTH:
            raise ValidationError("Date of birth is too far in the past: please check it.")

    @validates("given_name")
    def _given(self, value, **_):
        if not value.strip():
            raise ValidationError("Given name cannot be blank.")

    @validates("family_name")
    def _family(self, value, **_):
        if not value.strip():
            raise ValidationError("Family name cannot be blank.")


class ObservationsSchema(StrictSchema):
    news2 = StrictInteger(allow_none=True, validate=validate.Range(0, 20))
    clinical_frailty_scale = StrictInteger(allow_none=True, validate=validate.Range(1, 9))


class MentalHealthSchema(StrictSchema):
    risk = fields.String(allow_none=True, validate=validate.OneOf(vocab.MENTAL_HEALTH_RISKS))
    suicidal_ideation = StrictBoolean(allow_none=True)


class FunctionSchema(StrictSchema):
    # Absent or null means unknown: a rule that needs one sends the referral to
    # review rather than guessing (routing-policy.md rows 9-11).
    medically_stable = StrictBoolean(allow_none=True)
    rehab_potential = StrictBoolean(allow_none=True)
    needs_overnight_care = StrictBoolean(allow_none=True)


class IntakeSchema(StrictSchema):
    source = fields.String(required=True, validate=validate.OneOf(list(vocab.SOURCES)))
    source_reference = fields.String(
        required=True, validate=[validate.Length(min=1, max=64), printable]
    )
    received_at = UtcDateTime(metadata={"description": (
        "when the sender received the referral, with its UTC offset: at most 5 minutes ahead, and at most "
        "RECEIPT_MAX_AGE_HOURS (default 24) in the past; absent, SPOA counts from its arrival")})
    emas_category = StrictInteger(allow_none=True)
    referrer = fields.Nested(ReferrerSchema)
    patient = fields.Nested(PatientSchema, required=True)
    presenting_need = fields.String(
        required=True, validate=validate.OneOf(list(vocab.PRESENTING_NEEDS))
    )
    description = _text(4000)
    pathways_disposition = Disposition(allow_none=True)
    red_flags = fields.List(fields.String(validate=validate.OneOf(list(vocab.RED_FLAGS))))
    observations = fields.Nested(ObservationsSchema)
    mental_health = fields.Nested(MentalHealthSchema)
    function = fields.Nested(FunctionSchema)
    consent = StrictBoolean(required=True)

    @validates("received_at")
    def _in_window(self, value, **_):
        at = now()
        if value - at > FUTURE_TOLERANCE:
            raise ValidationError("received_at is more than 5 minutes in the future.")
        oldest = receipt_max_age()
        if at - value > oldest:
            hours = oldest / timedelta(hours=1)
            raise ValidationError(
                f"received_at is more than {hours:g} hours in the past: send the time SPOA should count "
                "from (when the referral was made), or leave it out to count from its arrival.")

    @validates("red_flags")
    def _no_repeats(self, value, **_):
        if len(set(value)) != len(value):
            raise ValidationError("A red flag is listed twice.")

    @validates_schema
    def _emas_category(self, data, **_):
        source, category = data.get("source"), data.get("emas_category")
        if source == "emas" and category is None:
            raise ValidationError("Required when source is emas (category 3, 4 or 5).", "emas_category")
        if category is None:
            return
        if source != "emas":
            raise ValidationError("Only an ambulance (emas) referral has a category.", "emas_category")
        if category in (1, 2):
            raise ValidationError(
                f"Category {category} calls are life-threatening and are not for SPOA: "
                "keep the patient on the 999 pathway.", "emas_category",
            )
        if category not in vocab.EMAS_CATEGORIES:
            raise ValidationError("Must be 3, 4 or 5.", "emas_category")
