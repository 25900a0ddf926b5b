"""Discharge referrals for the clock, event and delayed-day tests: posted by the
hospital's own system (the ``hospital_sender`` fixture) at a chosen instant, and
their events fired through the API. Import the fixtures you use into the test
module (pytest finds fixtures by the module's names)."""
import uuid
from contextlib import nullcontext
from datetime import date, datetime, timedelta

import pytest

from spoa.platform.timekeeping import UK, UTC, uk_date
from tests.support.data.discharge_data import discharge_body
from tests.support.data.referral_data import full_view

# Needs that route by rows D2-D9 (routing-policy.md, "Hospital discharge").
NO_NEEDS = {"mobility": "independent", "personal_care": False, "night_care": False, "two_carers": False,
            "rehab_goals": False, "cognition_concern": False, "equipment": []}
HOME_REHAB = None  # discharge_body's own needs: rehab goals, no night care (D5)
BED_REHAB = {**NO_NEEDS, "night_care": True, "rehab_goals": True}  # D3
CARE_HOME = {**NO_NEEDS, "night_care": True, "two_carers": True}  # D2


def uk(*args) -> datetime:
    """A UK wall time as an aware UTC instant."""
    return datetime(*args, tzinfo=UK).astimezone(UTC)


def events_url(referral) -> str:
    return f"/api/v1/referrals/{referral['id']}/events"


@pytest.fixture
def post_discharge(client, hospital_sender, frozen_now):
    """post_discharge(at=None, drd=None, needs=HOME_REHAB, simple=False, review=False, **section) -> the
    referral's full view. ``drd`` a date (default tomorrow, UK); ``simple``: nothing needed and
    not living alone (D9, discharge_simple); ``review``: NEWS2 5 (D1, supervisor_review)."""
    _, headers = hospital_sender

    def post(at=None, *, drd: date | None = None, needs=HOME_REHAB, simple=False, review=False, **section):
        with frozen_now(at) if at else nullcontext():
            today = uk_date(at) if at else None
            body = discharge_body(today, needs=NO_NEEDS if simple else needs, **section)
            if drd is not None:
                body["discharge"]["discharge_ready_date"] = drd.isoformat()
                body["discharge"]["expected_discharge_date"] = drd.isoformat()
                body["discharge"]["admitted_on"] = min(
                    drd - timedelta(days=3), date.fromisoformat(body["discharge"]["admitted_on"])).isoformat()
            if simple:
                body["patient"]["lives_alone"] = False
            if review:
                body["observations"]["news2"] = 5
            response = client.post("/api/v1/referrals", json=body, headers=headers)
        assert response.status_code == 201, response.get_json()
        return full_view(response.get_json()["id"])

    return post


@pytest.fixture
def hospital_fires(client, hospital_sender, frozen_now):
    """hospital_fires(referral, event, at=None, **fields) -> the response to the hospital
    system's event (``at`` is when it is sent; an ``at`` field for discharged goes in fields as when)."""
    _, headers = hospital_sender

    def fire(referral, event, sent=None, **fields):
        with frozen_now(sent) if sent else nullcontext():
            return client.post(events_url(referral), json={"event": event, **fields}, headers=headers)

    return fire


def clocks_named(body, name) -> list[dict]:
    """A referral's clocks of one name, oldest first (a DRD clock restarted is a second one)."""
    return [c for c in body["clocks"] if c["name"] == name]


def clock(body, name) -> dict:
    """The referral's latest clock of this name."""
    return clocks_named(body, name)[-1]


def when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def row(db, referral):
    from spoa.models import Referral

    db.session.expire_all()
    return db.session.get(Referral, uuid.UUID(referral["id"]))


def reread(referral) -> dict:
    return full_view(referral["id"])

