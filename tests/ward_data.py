"""Discharge referrals for the ward's tests, made the way a hospital sends them."""
import uuid
from datetime import timedelta

from spoa.clocks import now, uk_date
from spoa.extensions import db
from spoa.models import Referral


def make_discharge(client, headers, payload, *, hospital="RNS01", drd_in_days=0, ward="Talbot Butler",
                   proposed_pathway=1, pathway=1, **columns) -> Referral:
    """A referral posted through the API, then given a discharge's columns.
    (Until intake 1.1 is on main; then: post discharge_body(...).)"""
    response = client.post("/api/v1/referrals", json=payload(), headers=headers)
    assert response.status_code == 201, response.get_json()
    referral = db.session.get(Referral, uuid.UUID(response.get_json()["id"]))
    today = uk_date(now())
    referral.kind, referral.hospital_ods, referral.ward = "discharge", hospital, ward
    referral.admitted_on = today - timedelta(days=5)
    referral.discharge_ready_date = today + timedelta(days=drd_in_days)
    referral.proposed_pathway, referral.pathway = proposed_pathway, pathway
    referral.discharge = {"hospital_ods": hospital, "hospital_name": "Northampton General Hospital", "ward": ward,
                          "needs": {"mobility": "one_carer", "personal_care": True, "rehab_goals": True,
                                    "equipment": ["commode", "grab_rail"]},
                          "care_package": "paused", "usual_residence": "home",
                          "patient_wishes": "Wants to go home to her cat.",
                          "carer": {"name": "Ben Lovelace", "relationship": "son", "phone": "07700 900000"}}
    for name, value in columns.items():
        setattr(referral, name, value)
    db.session.commit()
    return referral
