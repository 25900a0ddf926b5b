"""The hospital discharge variant of the new-referral form (intake 1.1).

A hub coordinator takes a ward's phone call. The fields are the contract's
"Discharge referrals" paths, so the form loads through the same IntakeSchema as a
hospital system's post. There is no main need to pick: the needs below describe
the patient and the rules (D1-D9) pick the service. Each need is yes / no / not
known, and not known is left out of the body, never sent as false: rules that
need a fact the ward did not give send the referral to a person (D2 -> D4).
"""
from spoa.web.intake_form import COMMUNITY, IntakeForm

_PATIENT = {path: label for path, label in COMMUNITY.labels.items() if path.startswith("patient.")}
_DATE_EXAMPLE = "as day/month/year, for example 24/11/2026"

DISCHARGE = IntakeForm(
    kind="discharge",
    template="referral_new_discharge.html",
    labels={
        "source": "Calling from",
        "referrer.name": "Caller's name",
        "referrer.role": "Caller's role",
        "referrer.phone": "Call-back number",
        "source_reference": "Ward's own reference (if they give one)",
        "discharge": "Discharge details",
        "discharge.hospital_ods": "Hospital ODS code",
        "discharge.hospital_name": "Hospital name",
        "discharge.ward": "Ward",
        **_PATIENT,
        "discharge.admitted_on": "Date admitted",
        "discharge.discharge_ready_date": "Discharge ready date",
        "discharge.expected_discharge_date": "Expected discharge date (if known)",
        "discharge.proposed_pathway": "Pathway the ward proposes (if they say)",
        "discharge.needs.mobility": "Mobility",
        "discharge.needs.personal_care": "Needs help with personal care (washing, dressing, toileting)?",
        "discharge.needs.night_care": "Needs care at night?",
        "discharge.needs.two_carers": "Needs two carers at a time?",
        "discharge.needs.rehab_goals": "Has rehabilitation goals?",
        "discharge.needs.cognition_concern": "Any concern about memory or understanding?",
        "discharge.needs.equipment": "Equipment needed at home",
        "discharge.care_package": "Care package before admission",
        "discharge.usual_residence": "Usually lives in",
        "discharge.patient_wishes": "What the patient wants",
        "discharge.carer.name": "Carer's name",
        "discharge.carer.relationship": "Relationship to the patient",
        "discharge.carer.phone": "Carer's phone",
        "observations.news2": "NEWS2 score",
        "observations.clinical_frailty_scale": "Clinical Frailty Scale",
        "description": "What the ward says",
        "consent": "Has the patient agreed to this referral being shared?",
    },
    required={
        "source": "Select whether the call is from an acute or a community hospital",
        "discharge.hospital_ods": "Enter the hospital's ODS code",
        "discharge.ward": "Enter the ward",
        "discharge.admitted_on": "Enter the date the patient was admitted",
        "discharge.discharge_ready_date": "Enter the discharge ready date",
        **{path: text for path, text in COMMUNITY.required.items() if path.startswith("patient")},
        "consent": COMMUNITY.required["consent"],
    },
    text=("source", "source_reference", "referrer.name", "referrer.role", "referrer.phone",
          "discharge.hospital_ods", "discharge.hospital_name", "discharge.ward",
          "patient.nhs_number", "patient.given_name", "patient.family_name", "patient.sex",
          "patient.postcode", "patient.address", "patient.phone", "patient.gp_practice_ods",
          "discharge.needs.mobility", "discharge.care_package", "discharge.usual_residence",
          "discharge.patient_wishes", "discharge.carer.name", "discharge.carer.relationship",
          "discharge.carer.phone", "description"),
    dates=("patient.date_of_birth", "discharge.admitted_on", "discharge.discharge_ready_date",
           "discharge.expected_discharge_date"),
    numbers=("discharge.proposed_pathway", "observations.news2", "observations.clinical_frailty_scale"),
    choices=("patient.lives_alone", "discharge.needs.personal_care", "discharge.needs.night_care",
             "discharge.needs.two_carers", "discharge.needs.rehab_goals", "discharge.needs.cognition_concern",
             "consent"),
    lists=("discharge.needs.equipment",),
    always_sent=("discharge",),
    for_people={
        **COMMUNITY.for_people,
        ("discharge.admitted_on", "Not a valid date."): "Enter the date admitted " + _DATE_EXAMPLE,
        ("discharge.discharge_ready_date", "Not a valid date."): "Enter the discharge ready date " + _DATE_EXAMPLE,
        ("discharge.expected_discharge_date", "Not a valid date."):
            "Enter the expected discharge date " + _DATE_EXAMPLE,
    },
)
