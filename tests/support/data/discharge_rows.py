"""Open discharge referrals for the live queue's tests, sent as a hospital's system
sends them (intake 1.1: tests/support/data/discharge_data.py's body, through POST /api/v1/referrals),
with the needs that reach the route asked for (routing-policy.md, rows D1-D9)."""
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from spoa.domain.actor import Actor
from spoa.models import Referral
from spoa.platform.timekeeping import now, uk_date
from tests.support.data.discharge_data import discharge_body

_NOTHING_NEW = {"personal_care": False, "night_care": False, "two_carers": False, "rehab_goals": False}
# The route the rules reach -> the needs (and whether the patient lives alone) that reach it.
NEEDS = {
    "home_rehab": ({"rehab_goals": True, "night_care": False}, True),                            # D5, P1
    "reablement": ({**_NOTHING_NEW, "personal_care": True}, True),                               # D6, P1
    "bed_rehab": ({"night_care": True, "rehab_goals": True}, True),                              # D3, P2
    "care_home_assessment": ({"two_carers": True, "night_care": True, "rehab_goals": False}, True),  # D2, P3
    "supervisor_review": ({"two_carers": True, "night_care": True}, True),                       # D4: a person decides
    "voluntary_sector": (_NOTHING_NEW, True),                   # D8, P0 (an organisation on duty takes it)
    "discharge_simple": (_NOTHING_NEW, False),                                                    # D9, P0
}


@dataclass(frozen=True)
class Made:
    id: uuid.UUID
    reference: str


def discharge_request(route: str = "home_rehab", *, drd_in_days: int = 1, hospital_ods: str = "RNS01",
                      hospital_name: str | None = "Northampton General Hospital", ward: str = "Talbot Butler",
                      proposed_pathway: int | None = None) -> dict:
    needs, lives_alone = NEEDS[route]
    today = uk_date(now())
    body = discharge_body(today, drd_in_days=drd_in_days, needs=needs, hospital_ods=hospital_ods,
                          hospital_name=hospital_name, ward=ward, proposed_pathway=proposed_pathway,
                          admitted_on=(today - timedelta(days=14)).isoformat())
    body["patient"]["lives_alone"] = lives_alone
    body["referrer"]["ods_code"] = hospital_ods
    return body


def ward_user(hospital_ods: str = "RNS01") -> Actor:
    """A ward's nurse at ``hospital_ods``, as the lifecycle sees them (relation "hospital")."""
    return Actor(kind="user", name=f"ward-{hospital_ods.lower()}", role="ward", hospital=hospital_ods)


def make_discharge(db, send, route: str = "home_rehab", *, withdrawn: bool = False,
                   discharged_at: datetime | None = None, **request) -> Made:
    """An open discharge on ``route``, sent by its hospital's system (``send``: body ->
    the answer's JSON); then, as its ward records them, readiness withdrawn and the
    discharge at ``discharged_at``."""
    created = send(discharge_request(route, **request))
    assert created["route"] == route, created
    made = Made(uuid.UUID(created["id"]), created["reference"])
    if withdrawn:
        fire(db, made.id, "readiness_withdrawn", reason="Temperature up this morning",
             hospital_ods=created["discharge"]["hospital_ods"])
    if discharged_at:
        fire(db, made.id, "discharged", at=discharged_at, hospital_ods=created["discharge"]["hospital_ods"])
    return made


def fire(db, referral_id, event: str, hospital_ods: str = "RNS01", **given) -> None:
    """The ward fires ``event`` through the one service every surface uses (committed)."""
    from spoa.services.actions import apply_event

    apply_event(db.session.get(Referral, referral_id), event, ward_user(hospital_ods), **given)
    db.session.remove()


@pytest.fixture
def send_discharge(client, make_api_client):
    """send_discharge(body) -> the answer's JSON: each hospital's own system posts its discharges."""
    tokens = {}

    def send(body):
        ods = body["discharge"]["hospital_ods"]
        if ods not in tokens:
            tokens[ods] = make_api_client(sources=("acute", "community_hospital"), hospital=ods,
                                          name=f"{ods.lower()}-epr")[1]
        response = client.post("/api/v1/referrals", json=body, headers={"Authorization": f"Bearer {tokens[ods]}"})
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return send


def day(offset: int):
    return uk_date(now()) + timedelta(days=offset)


def record_delay(db, referral_id, reason: str) -> None:
    """Today's delay reason (a discharge.yaml code), as the ward records it."""
    fire(db, referral_id, "delay", reason=reason)


def record_discharge(db, referral_id) -> None:
    """The ward records that the patient left hospital, now."""
    fire(db, referral_id, "discharged")


class HttpHospitals:
    """Each hospital's own system over real HTTP to a live server (browser tests), made
    the first time it is used: ``send(body)`` (as make_discharge takes it) posts a
    discharge; ``event(referral_id, name, **fields)`` records the ward's event."""

    def __init__(self, db, base_url: str):
        self.db, self.base_url, self.tokens = db, base_url, {}

    def _headers(self, ods: str) -> dict:
        from spoa.models import ApiClient

        if ods not in self.tokens:
            row, self.tokens[ods] = ApiClient.issue(name=f"{ods.lower()}-epr", hospital_ods=ods,
                                                    sources=["acute", "community_hospital"])
            self.db.session.add(row)
            self.db.session.commit()
            self.db.session.remove()
        return {"Authorization": f"Bearer {self.tokens[ods]}"}

    def send(self, body: dict) -> dict:
        import requests

        response = requests.post(f"{self.base_url}/api/v1/referrals", json=body, timeout=5,
                                 headers=self._headers(body["discharge"]["hospital_ods"]))
        assert response.status_code == 201, response.text
        return response.json()

    def event(self, referral_id, name: str, hospital_ods: str = "RNS01", **fields) -> dict:
        import requests

        response = requests.post(f"{self.base_url}/api/v1/referrals/{referral_id}/events", timeout=5,
                                 json={"event": name, **fields}, headers=self._headers(hospital_ods))
        assert response.status_code == 200, response.text
        return response.json()
