"""A valid intake body (intake-contract.md's own example), shared by tests."""
import time

import requests

from spoa.platform.timekeeping import now

VALID_REFERRAL = {
    "source": "emas",
    "source_reference": "EMAS-20261122-004512",
    "received_at": "2026-11-22T09:41:00Z",
    "emas_category": 4,
    "referrer": {"name": "Paramedic J Smith", "organisation": "EMAS", "ods_code": "RX9", "phone": "01159 999999"},
    "patient": {
        "nhs_number": "9434765919", "given_name": "Ada", "family_name": "Lovelace",
        "date_of_birth": "1938-03-14", "sex": "female", "postcode": "NN1 5BD",
        "address": "1 Example Street, Northampton", "phone": "01604 000000",
        "lives_alone": True, "gp_practice_ods": "K83001",
    },
    "presenting_need": "fall_no_injury",
    "description": "Found on floor by carer, no apparent injury, unable to get up unaided.",
    "red_flags": [],
    "observations": {"news2": 2, "clinical_frailty_scale": 6},
    "mental_health": {"risk": "none", "suicidal_ideation": False},
    "function": {"medically_stable": True, "rehab_potential": True, "needs_overnight_care": False},
    "consent": True,
}


def full_view(referral_id) -> dict:
    """A referral as staff and the service's systems see it (the full view), read
    afresh from the database: for tests that check what was stored, beyond what
    the sender is answered (spoa/schemas/referral.py: the sender's view)."""
    import uuid

    from spoa.extensions import db
    from spoa.models import Referral
    from spoa.schemas.referral import VIEWS

    db.session.expire_all()
    return VIEWS["full"].dump(db.session.get(Referral, uuid.UUID(str(referral_id))))


def post_referral(live_server, token, received_at=None, **fields):
    body = {**VALID_REFERRAL, "source_reference": f"EMAS-{time.monotonic_ns()}", **fields}
    body["received_at"] = (received_at or now()).isoformat()
    response = requests.post(f"{live_server}/api/v1/referrals", json=body, timeout=5,
                             headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.text
    return response.json()
