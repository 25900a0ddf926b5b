"""The hub coordinator's discharge form, filled in for a ward's call."""
from datetime import date, timedelta

from werkzeug.datastructures import MultiDict

from spoa.platform.timekeeping import now, uk_date

NEW = "/referrals/new/discharge"


def uk(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def ward_call(today: date | None = None, *, drd_in_days: int = 1, **fields) -> dict:
    """What a hub coordinator types for the ward's call in tests.support.data.discharge_data's body
    (the same patient, dates and needs), with ``fields`` replacing boxes by name."""
    today = today or uk_date(now())
    form = {
        "source": "acute", "referrer.name": "Sister A Nightingale", "referrer.phone": "01604 634700",
        "discharge.hospital_ods": "RNS01", "discharge.hospital_name": "Northampton General Hospital",
        "discharge.ward": "Talbot Butler",
        "patient.nhs_number": "943 476 5919", "patient.given_name": "Ada", "patient.family_name": "Lovelace",
        "patient.date_of_birth": "14/03/1938", "patient.sex": "female", "patient.postcode": "nn1 5bd",
        "patient.address": "1 Example Street, Northampton", "patient.phone": "01604 000000",
        "patient.lives_alone": "yes", "patient.gp_practice_ods": "K83001",
        "discharge.admitted_on": uk(today - timedelta(days=4)),
        "discharge.discharge_ready_date": uk(today + timedelta(days=drd_in_days)),
        "discharge.expected_discharge_date": uk(today + timedelta(days=drd_in_days + 1)),
        "discharge.proposed_pathway": "1",
        "discharge.needs.mobility": "one_carer", "discharge.needs.personal_care": "yes",
        "discharge.needs.night_care": "no", "discharge.needs.two_carers": "no",
        "discharge.needs.rehab_goals": "yes", "discharge.needs.cognition_concern": "no",
        "discharge.needs.equipment": ["commode", "perching_stool"],
        "discharge.care_package": "none", "discharge.usual_residence": "home",
        "discharge.patient_wishes": "Wants to go home to her cat.",
        "discharge.carer.name": "Ben Lovelace", "discharge.carer.relationship": "son",
        "discharge.carer.phone": "07700 900000",
        "observations.news2": "1", "observations.clinical_frailty_scale": "5",
        "description": "Medically optimised after a fall; ready for discharge.",
        "consent": "yes", "kind": "discharge",
    }
    form.update(fields)
    return form


def multi(data: dict) -> MultiDict:
    """Form data as posted: a list is several boxes ticked under one name."""
    return MultiDict([(key, item) for key, value in data.items()
                      for item in (value if isinstance(value, list) else [value])])
