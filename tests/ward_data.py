"""Discharge referrals for the ward's tests, made the way a hospital sends them."""
import uuid
from datetime import timedelta

from spoa.clocks import now, uk_date
from spoa.extensions import db
from spoa.models import Referral


def discharge_columns(*, hospital="RNS01", drd_in_days=0, ward="Talbot Butler", proposed_pathway=1,
                      pathway=1) -> dict:
    """A discharge's columns and section, dated from today (UK)."""
    today = uk_date(now())
    return {
        "kind": "discharge", "hospital_ods": hospital, "ward": ward, "admitted_on": today - timedelta(days=5),
        "discharge_ready_date": today + timedelta(days=drd_in_days),
        "proposed_pathway": proposed_pathway, "pathway": pathway,
        "discharge": {"hospital_ods": hospital, "hospital_name": "Northampton General Hospital", "ward": ward,
                      "needs": {"mobility": "one_carer", "personal_care": True, "rehab_goals": True,
                                "equipment": ["commode", "grab_rail"]},
                      "care_package": "paused", "usual_residence": "home",
                      "patient_wishes": "Wants to go home to her cat.",
                      "carer": {"name": "Ben Lovelace", "relationship": "son", "phone": "07700 900000"}},
    }


def make_discharge(client, headers, payload, *, hospital="RNS01", drd_in_days=0, ward="Talbot Butler",
                   proposed_pathway=1, pathway=1, **columns) -> Referral:
    """A referral posted through the API, then given a discharge's columns.
    (Until intake 1.1 is on main; then: post discharge_body(...).)"""
    response = client.post("/api/v1/referrals", json=payload(), headers=headers)
    assert response.status_code == 201, response.get_json()
    referral = db.session.get(Referral, uuid.UUID(response.get_json()["id"]))
    made = discharge_columns(hospital=hospital, drd_in_days=drd_in_days, ward=ward,
                             proposed_pathway=proposed_pathway, pathway=pathway)
    for name, value in {**made, **columns}.items():
        setattr(referral, name, value)
    db.session.commit()
    return referral
