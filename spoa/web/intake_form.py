"""The call handler's form, turned into the intake contract's shape.

The form posts flat fields named by their contract path ("patient.postcode");
this module nests them, converts what HTML cannot type (numbers, yes/no/unknown)
and leaves everything else to IntakeSchema, so a phone referral is validated by
exactly the rules an electronic one is.
"""
import uuid

YES_NO = {"yes": True, "no": False}
NUMBERS = ("emas_category", "observations.news2", "observations.clinical_frailty_scale")
CHOICES = ("patient.lives_alone", "mental_health.suicidal_ideation", "function.medically_stable",
           "function.rehab_potential", "function.needs_overnight_care", "consent")
TEXT = ("source", "source_reference", "referrer.name", "referrer.role", "referrer.organisation",
        "referrer.phone", "patient.nhs_number", "patient.given_name", "patient.family_name",
        "patient.date_of_birth", "patient.sex", "patient.postcode", "patient.address",
        "patient.phone", "patient.gp_practice_ods", "presenting_need", "description",
        "pathways_disposition", "mental_health.risk")


def _set(body: dict, path: str, value) -> None:
    *parents, leaf = path.split(".")
    for key in parents:
        body = body.setdefault(key, {})
    body[leaf] = value


def to_intake(form) -> dict:
    """Form data -> an intake body (not yet validated). Blank means not given."""
    body: dict = {}
    for path in TEXT:
        value = (form.get(path) or "").strip()
        if value:
            _set(body, path, value)
    for path in NUMBERS:
        value = (form.get(path) or "").strip()
        if value:
            # Not a number: pass the text on, so the schema says so beside the field.
            _set(body, path, int(value) if value.lstrip("-").isdigit() else value)
    for path in CHOICES:
        value = form.get(path)
        if value in YES_NO:
            _set(body, path, YES_NO[value])
    flags = form.getlist("red_flags")
    if flags:
        body["red_flags"] = flags
    if not body.get("source_reference"):
        # A phone referral seldom comes with the caller's own reference.
        body["source_reference"] = f"PHONE-{uuid.uuid4().hex[:12].upper()}"
    return body
