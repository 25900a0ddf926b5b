"""Discharge referrals for the ward's tests, sent as a hospital's system sends them
(tests/support/data/discharge_data.py's body, intake 1.1)."""
import uuid

from spoa.extensions import db
from spoa.models import Referral
from tests.support.data.discharge_data import discharge_body

# Needs that reach D3 (bed_rehab, P2) where the ward proposed P1: the note beside them.
NEEDS_P2 = {"mobility": "one_carer", "personal_care": True, "night_care": True, "two_carers": False,
            "rehab_goals": True, "equipment": ["commode", "grab_rail"]}  # cognition: not known


def ward_body(*, drd_in_days=0, hospital="RNS01", ward="Talbot Butler", needs=None, **section) -> dict:
    """A discharge from ``hospital``'s ``ward``, its ready date ``drd_in_days`` from today."""
    return discharge_body(drd_in_days=drd_in_days, hospital_ods=hospital, ward=ward, needs=needs,
                          care_package="paused", **section)


def post_discharge(client, headers, **body) -> Referral:
    response = client.post("/api/v1/referrals", json=ward_body(**body), headers=headers)
    assert response.status_code == 201, response.get_json()
    return db.session.get(Referral, uuid.UUID(response.get_json()["id"]))
