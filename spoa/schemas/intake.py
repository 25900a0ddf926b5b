"""Intake contract v1.1 (intake-contract.md): the one validation every channel uses.

The JSON API, the web form and the FHIR adapter all load a referral through
IntakeSchema, so a referral is valid, or refused, the same way whichever way
it came in. Unknown fields are refused (a typo must never drop clinical data).

Version 1.1 adds `kind`: a community referral (the default, every v1 body) or a
hospital discharge with its `discharge` section ("Discharge referrals").
"""
import re
from datetime import date, timedelta

from flask import current_app, has_app_context
from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate, validates, validates_schema

from spoa.domain import vocab
from spoa.platform.timekeeping import now, uk_date
from spoa.schemas.fields import (
    AsciiDate,
    Disposition,
    FreeText,
    Name,
    NhsNumber,
    OdsCode,
    Postcode,
    StrictBoolean,
    StrictInteger,
    UtcDateTime,
    printable,
)

FUTURE_TOLERANCE = timedelta(minutes=5)
OLDEST_BIRTH = date(1890, 1, 1)
DEFAULT_RECEIPT_MAX_AGE_HOURS = 24
# Beyond any real stay: a discharge date further ahead is a typo (2062 for 2026),
# and would start a clock counting to a day nobody will see.
DISCHARGE_HORIZON = timedelta(days=366)
# A code a ward may name beside the known ones (vocab.EQUIPMENT): shown as written.
EQUIPMENT_CODE = r"[a-z][a-z0-9_]{0,39}"
EQUIPMENT_MAX = 20
# What a discharge referral's presenting need is stored as when the ward gives none:
# the column is required, and rows 6-17 (which read it) never see a discharge.
DISCHARGE_PRESENTING_NEED = "other"


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
    ods_code = fields.String(validate=validate.Regexp(r"^[A-Za-z0-9]{3,10}$",
                                                      error="An ODS code is 3 to 10 letters or digits."))
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
    gp_practice_ods = fields.String(validate=validate.Regexp(r"^[A-Za-z0-9]{3,10}$",
                                                             error="An ODS code is 3 to 10 letters or digits."))

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


def _equipment_code(value: str) -> None:
    # fullmatch, not a "$" pattern: "$" lets a trailing newline through.
    if not re.fullmatch(EQUIPMENT_CODE, value):
        raise ValidationError("An equipment code is lower-case letters, digits and _ (for example commode), "
                              "at most 40 characters.")


class NeedsSchema(StrictSchema):
    # Absent or null means not known: a rule that needs one sends the referral to a
    # person rather than guessing (routing-policy.md, D2 and D4).
    mobility = fields.String(allow_none=True, validate=validate.OneOf(list(vocab.MOBILITY)))
    personal_care = StrictBoolean(allow_none=True)
    night_care = StrictBoolean(allow_none=True)
    two_carers = StrictBoolean(allow_none=True)
    rehab_goals = StrictBoolean(allow_none=True)
    cognition_concern = StrictBoolean(allow_none=True)
    equipment = fields.List(
        fields.String(validate=_equipment_code, metadata={"pattern": f"^{EQUIPMENT_CODE}$"}),
        validate=validate.Length(max=EQUIPMENT_MAX, error=f"At most {EQUIPMENT_MAX} items of equipment."),
        metadata={"description": "equipment codes: " + ", ".join(vocab.EQUIPMENT) + ", or another code"})

    @validates("equipment")
    def _no_repeats(self, value, **_):
        if len(set(value)) != len(value):
            raise ValidationError("An item of equipment is listed twice.")


class CarerSchema(StrictSchema):
    name = Name(validate=validate.Length(max=100))
    relationship = _text(100)
    phone = _text(32)


class DischargeSchema(StrictSchema):
    """The discharge section (intake 1.1): where the patient is, when they are ready
    to leave, and what they will need, as the ward's team describes it."""

    hospital_ods = OdsCode(required=True, metadata={"description": "the hospital's ODS code, stored upper case"})
    hospital_name = _text(200, allow_none=True)
    ward = _text(100, required=True)
    admitted_on = AsciiDate(required=True)
    discharge_ready_date = AsciiDate(required=True, metadata={
        "description": "the day the patient no longer meets the criteria to reside (DRD)"})
    expected_discharge_date = AsciiDate(allow_none=True)
    proposed_pathway = StrictInteger(allow_none=True, validate=validate.OneOf(
        vocab.PATHWAYS, error="A discharge pathway is 0, 1, 2 or 3."), metadata={
        "description": "the ward's view of the pathway: shown beside the one the rules reach, never deciding"})
    needs = fields.Nested(NeedsSchema, allow_none=True)
    care_package = fields.String(allow_none=True, validate=validate.OneOf(list(vocab.CARE_PACKAGES)))
    usual_residence = fields.String(allow_none=True, validate=validate.OneOf(list(vocab.USUAL_RESIDENCES)))
    patient_wishes = _text(2000, allow_none=True)
    carer = fields.Nested(CarerSchema, allow_none=True)

    @validates("ward")
    def _ward(self, value, **_):
        if not value.strip():
            raise ValidationError("Ward cannot be blank.")

    @validates("admitted_on")
    def _admitted(self, value, **_):
        if value > uk_date(now()):
            raise ValidationError("The admission date cannot be in the future.")
        if value < OLDEST_BIRTH:
            raise ValidationError("The admission date is too far in the past: please check it.")

    @validates("discharge_ready_date")
    def _drd_ahead(self, value, **_):
        _within_horizon(value, "discharge ready date")

    @validates("expected_discharge_date")
    def _expected_ahead(self, value, **_):
        if value is not None:
            _within_horizon(value, "expected discharge date")

    @validates_schema(skip_on_field_errors=False)  # said beside the section's other mistakes
    def _not_before_admission(self, data, **_):
        admitted = data.get("admitted_on")
        if admitted is None:
            return
        errors = {}
        if data.get("discharge_ready_date") and data["discharge_ready_date"] < admitted:
            errors["discharge_ready_date"] = ["The discharge ready date cannot be before the admission date."]
        if data.get("expected_discharge_date") and data["expected_discharge_date"] < admitted:
            errors["expected_discharge_date"] = ["The expected discharge date cannot be before the admission date."]
        if errors:
            raise ValidationError(errors)


def _within_horizon(value: date, what: str) -> None:
    if value > uk_date(now()) + DISCHARGE_HORIZON:
        raise ValidationError(f"The {what} is more than a year ahead: please check it.")


class IntakeSchema(StrictSchema):
    source = fields.String(required=True, validate=validate.OneOf(list(vocab.SOURCES)))
    source_reference = fields.String(
        required=True, validate=[validate.Length(min=1, max=64), printable]
    )
    received_at = UtcDateTime(metadata={"description": (
        "when the sender received the referral, with its UTC offset: at most 5 minutes ahead, and at most "
        "RECEIPT_MAX_AGE_HOURS (default 24) in the past; absent, SPOA counts from its arrival")})
    kind = fields.String(load_default="community", validate=validate.OneOf(vocab.KINDS), metadata={
        "description": "community (the default, as in version 1) or discharge (a ward's transfer of care)"})
    emas_category = StrictInteger(allow_none=True)
    referrer = fields.Nested(ReferrerSchema)
    patient = fields.Nested(PatientSchema, required=True)
    # Required of a community referral (below); a discharge's needs describe it.
    presenting_need = fields.String(validate=validate.OneOf(list(vocab.PRESENTING_NEEDS)))
    description = _text(4000)
    pathways_disposition = Disposition(allow_none=True)
    red_flags = fields.List(fields.String(validate=validate.OneOf(list(vocab.RED_FLAGS))))
    observations = fields.Nested(ObservationsSchema)
    mental_health = fields.Nested(MentalHealthSchema)
    function = fields.Nested(FunctionSchema)
    consent = StrictBoolean(required=True)
    discharge = fields.Nested(DischargeSchema, metadata={
        "description": "required when kind is discharge, refused otherwise"})

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

    # Not skipped on other fields' errors: a v1 body without its presenting need is
    # told so alongside its other mistakes, as it always was. `original` says whether
    # a section was sent at all: one sent with mistakes is not also "missing".
    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _kind(self, data, original, **_):
        if "kind" not in data:
            return  # an unknown kind (said at `kind`): what it requires is unknown too
        sent = original if isinstance(original, dict) else {}
        if data["kind"] != "discharge":
            errors = {}
            if "discharge" in sent:
                errors["discharge"] = ["Only a discharge referral (kind: discharge) has a discharge section."]
            if "presenting_need" not in sent:
                errors["presenting_need"] = ["Missing data for required field."]
            if errors:
                raise ValidationError(errors)
            return
        errors = {}
        if "discharge" not in sent:
            errors["discharge"] = ["Required for a discharge referral (kind: discharge): the hospital, ward, "
                                   "dates and needs."]
        if "source" in data and data["source"] not in vocab.DISCHARGE_SOURCES:
            errors["source"] = ["A discharge referral comes from a hospital: source acute or community_hospital."]
        if errors:
            raise ValidationError(errors)

    @post_load
    def _discharge_need(self, data, **_):
        if data.get("kind") == "discharge":
            data.setdefault("presenting_need", DISCHARGE_PRESENTING_NEED)
        return data


# The two shapes of a referral, for the OpenAPI document only (spoa/api/openapi.py
# shows the body as one of them): IntakeSchema validates both, as one contract.
class CommunityReferralIntakeSchema(IntakeSchema):
    """A community referral: every version 1 body (kind absent, or community)."""

    class Meta(StrictSchema.Meta):
        exclude = ("discharge",)

    kind = fields.String(load_default="community", validate=validate.OneOf(["community"]))
    presenting_need = fields.String(required=True, validate=validate.OneOf(list(vocab.PRESENTING_NEEDS)))


class DischargeReferralIntakeSchema(IntakeSchema):
    """A hospital discharge (1.1): from a hospital, with its discharge section."""

    kind = fields.String(required=True, validate=validate.OneOf(["discharge"]))
    source = fields.String(required=True, validate=validate.OneOf(list(vocab.DISCHARGE_SOURCES)))
    discharge = fields.Nested(DischargeSchema, required=True)
    presenting_need = fields.String(validate=validate.OneOf(list(vocab.PRESENTING_NEEDS)), metadata={
        "description": f"optional: stored as {DISCHARGE_PRESENTING_NEED} when absent (the needs describe it)"})
