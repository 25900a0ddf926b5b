"""The call handler's form, turned into the intake contract's shape.

The form posts flat fields named by their contract path ("patient.postcode");
this module nests them, converts what HTML cannot type (numbers, dates as people
write them, yes/no/not known) and leaves everything else to IntakeSchema, so a
phone referral is validated by exactly the rules an electronic one is.

There are two variants of the form (IntakeForm): the community referral here and
the hospital discharge in discharge_form.py. Each lists its fields by contract
path and how each is typed; the turning into a body is the same for both.
"""
import re
import uuid
from dataclasses import dataclass, field

from spoa.schemas.form_input import iso_date, whole_number

MISSING = "Missing data for required field."


@dataclass(frozen=True)
class IntakeForm:
    """One variant of the new-referral form. Every tuple holds contract paths, which
    are also the inputs' names and ids (so an error's path is the field it is beside)."""
    kind: str
    template: str
    labels: dict[str, str]  # one per field: the form shows it, the error summary names the field by it
    required: dict[str, str]  # what a missing required field asks for ("Enter ...", "Select ...")
    text: tuple[str, ...]
    dates: tuple[str, ...] = ()  # typed as 14/03/1938 or ISO
    numbers: tuple[str, ...] = ()  # whole numbers typed in a box, or picked as a radio
    choices: tuple[str, ...] = ()  # yes / no / not known radios: not known is absent, never false
    lists: tuple[str, ...] = ()  # checkboxes
    sections: tuple[str, ...] = ("patient",)  # a wholly blank one: each required field in it says so
    # Sections sent even when every box in them is blank, so each required field in
    # them is asked for by name (not the whole section said to be missing).
    always_sent: tuple[str, ...] = ()
    # The contract's wording is for systems; a person typing gets an example.
    for_people: dict[tuple[str, str], str] = field(default_factory=dict)


COMMUNITY = IntakeForm(
    kind="community",
    template="referral_new.html",
    labels={
        "source": "Referral from",
        "referrer.name": "Referrer's name",
        "referrer.role": "Referrer's role",
        "referrer.organisation": "Organisation",
        "referrer.phone": "Call-back number",
        "source_reference": "Referrer's own reference (if they give one)",
        "emas_category": "Ambulance category (EMAS only)",
        "pathways_disposition": "NHS Pathways disposition (111 only)",
        "patient.nhs_number": "NHS number (if known)",
        "patient.given_name": "Given name",
        "patient.family_name": "Family name",
        "patient.date_of_birth": "Date of birth",
        "patient.sex": "Sex",
        "patient.postcode": "Postcode",
        "patient.address": "Address",
        "patient.phone": "Patient's phone",
        "patient.lives_alone": "Lives alone?",
        "patient.gp_practice_ods": "GP practice code",
        "presenting_need": "Main need",
        "description": "What the referrer says",
        "red_flags": "Red flags",
        "observations.news2": "NEWS2 score",
        "observations.clinical_frailty_scale": "Clinical Frailty Scale",
        "mental_health.risk": "Risk",
        "mental_health.suicidal_ideation": "Suicidal thoughts?",
        "function.medically_stable": "Medically stable?",
        "function.rehab_potential": "Potential to benefit from rehabilitation?",
        "function.needs_overnight_care": "Needs care overnight?",
        "consent": "Has the patient agreed to this referral being shared?",
    },
    required={
        "source": "Select who the referral is from",
        "patient": "Enter the patient's details",
        "patient.given_name": "Enter the patient's given name",
        "patient.family_name": "Enter the patient's family name",
        "patient.date_of_birth": "Enter the patient's date of birth",
        "patient.postcode": "Enter the patient's postcode",
        "presenting_need": "Select the main need",
        "consent": "Select whether the patient has agreed to the referral being shared",
    },
    text=("source", "source_reference", "referrer.name", "referrer.role", "referrer.organisation",
          "referrer.phone", "patient.nhs_number", "patient.given_name", "patient.family_name",
          "patient.sex", "patient.postcode", "patient.address",
          "patient.phone", "patient.gp_practice_ods", "presenting_need", "description",
          "pathways_disposition", "mental_health.risk"),
    dates=("patient.date_of_birth",),
    numbers=("emas_category", "observations.news2", "observations.clinical_frailty_scale"),
    choices=("patient.lives_alone", "mental_health.suicidal_ideation", "function.medically_stable",
             "function.rehab_potential", "function.needs_overnight_care", "consent"),
    lists=("red_flags",),
    for_people={
        ("patient.date_of_birth", "Not a valid date."):
            "Enter the date of birth as day/month/year, for example 14/03/1938",
    },
)
# The community form's, kept under their old names for what reads them.
LABELS, REQUIRED, FOR_PEOPLE = COMMUNITY.labels, COMMUNITY.required, COMMUNITY.for_people

_LIST_ITEM = re.compile(r"(\.[0-9]+)+$")  # "red_flags.0": a message about one ticked box


def friendly_errors(errors: dict[str, list[str]], form: IntakeForm = COMMUNITY) -> dict[str, list[str]]:
    """The schema's messages, with "Missing data for required field." said the way a
    person would ask for the field. Keys stay contract paths (they are the field ids);
    a message about one item of a list is put beside the list's boxes."""
    out: dict[str, list[str]] = {}
    for path, messages in errors.items():
        path = _LIST_ITEM.sub("", path)
        if path in form.sections and messages == [MISSING]:
            # The whole section is blank: each of its required fields says so instead.
            prefix = path + "."
            for field_path, text in form.required.items():
                if field_path.startswith(prefix):
                    out.setdefault(field_path, []).append(text)
            continue
        for m in messages:
            text = (form.required.get(path, "Enter " + form.labels.get(path, path).lower()) if m == MISSING
                    else form.for_people.get((path, m), m))
            if text not in out.get(path, []):
                out.setdefault(path, []).append(text)
    return out


def error_summary(errors: dict[str, list[str]], form: IntakeForm = COMMUNITY) -> list[tuple[str, str]]:
    """(field id, text) for the summary at the top: each message names its field."""
    items = []
    for path, messages in errors.items():
        label = form.labels.get(path, path.replace(".", " ").replace("_", " "))
        for message in messages:
            asks = message.startswith(("Enter ", "Select ", "Choose "))
            items.append((path, message if asks else f"{label}: {message}"))
    return items


YES_NO = {"yes": True, "no": False}


def _set(body: dict, path: str, value) -> None:
    *parents, leaf = path.split(".")
    for key in parents:
        body = body.setdefault(key, {})
    body[leaf] = value


def to_intake(form, variant: IntakeForm = COMMUNITY) -> dict:
    """Form data -> an intake body (not yet validated). Blank means not given."""
    body: dict = {}
    if variant.kind != COMMUNITY.kind:
        body["kind"] = variant.kind  # absent means community: a v1 body stays exactly as it was
    for path in variant.text + variant.dates:
        value = (form.get(path) or "").strip()
        if value:
            _set(body, path, iso_date(value) if path in variant.dates else value)
    for path in variant.numbers:
        value = (form.get(path) or "").strip()
        if value:
            # Not a number: pass the text on, so the schema says so beside the field.
            _set(body, path, whole_number(value))
    for path in variant.choices:
        value = form.get(path)
        if value in YES_NO:
            _set(body, path, YES_NO[value])
    for path in variant.lists:
        ticked = form.getlist(path)
        if ticked:
            _set(body, path, ticked)
    for path in variant.always_sent:
        body.setdefault(path, {})
    if not body.get("source_reference"):
        # A phone referral seldom comes with the caller's own reference. The form's
        # own id (made when the blank form was served) stands in, so pressing Save
        # twice, or resending after a dropped connection, stores one referral.
        submission = (form.get("submission_id") or "").strip()
        if not (len(submission) == 32 and all(c in "0123456789abcdef" for c in submission)):
            submission = uuid.uuid4().hex
        body["source_reference"] = f"PHONE-{submission[:24].upper()}"
    return body
