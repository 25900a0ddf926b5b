"""A valid discharge referral body (intake-contract.md, "Discharge referrals", v1.1),
shared by tests. Dates are relative to the UK day it is sent, so a test that moves
time gets a body that is still valid then."""
import uuid
from datetime import date, timedelta

NEEDS_P1_REHAB = {"mobility": "one_carer", "personal_care": True, "night_care": False, "two_carers": False,
                  "rehab_goals": True, "cognition_concern": False, "equipment": ["commode", "perching_stool"]}


def discharge_body(today: date | None = None, *, drd_in_days: int = 1, needs: dict | None = None,
                   hospital_ods: str = "RNS01", source: str = "acute", **discharge_overrides) -> dict:
    """A discharge referral from a ward. ``needs`` replaces the whole needs object;
    other keyword arguments replace fields of the discharge section (None removes one)."""
    if today is None:
        from spoa.platform.timekeeping import now, uk_date
        today = uk_date(now())
    section = {
        "hospital_ods": hospital_ods, "hospital_name": "Northampton General Hospital", "ward": "Talbot Butler",
        "admitted_on": (today - timedelta(days=4)).isoformat(),
        "discharge_ready_date": (today + timedelta(days=drd_in_days)).isoformat(),
        "expected_discharge_date": (today + timedelta(days=drd_in_days + 1)).isoformat(),
        "proposed_pathway": 1,
        "needs": dict(NEEDS_P1_REHAB if needs is None else needs),
        "care_package": "none",
        "usual_residence": "home",
        "patient_wishes": "Wants to go home to her cat.",
        "carer": {"name": "Ben Lovelace", "relationship": "son", "phone": "07700 900000"},
    }
    for key, value in discharge_overrides.items():
        if value is None:
            section.pop(key, None)
        else:
            section[key] = value
    return {
        "source": source,
        "source_reference": f"NGH-{uuid.uuid4().hex[:12]}",
        "kind": "discharge",
        "referrer": {"name": "Sister A Nightingale", "organisation": "Northampton General Hospital",
                     "ods_code": hospital_ods, "phone": "01604 634700"},
        "patient": {
            "nhs_number": "9434765919", "given_name": "Ada", "family_name": "Lovelace",
            "date_of_birth": "1938-03-14", "sex": "female", "postcode": "NN1 5BD",
            "address": "1 Example Street, Northampton", "phone": "01604 000000",
            "lives_alone": True, "gp_practice_ods": "K83001",
        },
        "description": "Medically optimised after a fall; ready for discharge.",
        "observations": {"news2": 1, "clinical_frailty_scale": 5},
        "consent": True,
        "discharge": section,
    }
