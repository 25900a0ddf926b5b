"""Acknowledging an escalation answers when it matters most: with thresholds overdue."""
from datetime import timedelta

import pytest

from spoa.extensions import db as database
from spoa.models import AuditEvent
from tests.support.fixtures.chasing import T0
from tests.support.signing_in import csrf_token

pytestmark = pytest.mark.both_databases


def _ack_rows(referral_id):
    import uuid

    database.session.remove()
    return database.session.query(AuditEvent).filter_by(
        referral_id=uuid.UUID(referral_id), event="acknowledge_escalation").all()


def test_acknowledging_with_escalations_overdue_answers_200_and_records_them(frozen_now,
        post_referral, reconcile_at, client, make_api_client, get_referral):
    body = post_referral(at=T0)
    reconcile_at(T0 + timedelta(hours=2, seconds=1))  # breached; no pass since
    _, token = make_api_client(sources=None, service="crisis_response")
    with frozen_now(T0 + timedelta(hours=3)):  # re-chases overdue, unrecorded
        response = client.post(f"/api/v1/referrals/{body['id']}/events",
                               json={"event": "acknowledge_escalation", "reason": "Team on the way"},
                               headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.get_json()
    first = next(c for c in response.get_json()["clocks"] if c["name"] == "first_contact")
    assert first["acknowledged_at"] and first["next_due_at"] is None
    # The escalations due before the acknowledgement are on record, none after it.
    assert first["escalation_level"] > 1
    [row] = _ack_rows(body["id"])
    assert "first_contact" in row.detail["clocks"]


def test_acknowledging_from_the_page_with_escalations_overdue(frozen_now, post_referral, reconcile_at, client,
                                                               login_as):
    body = post_referral(at=T0)
    reconcile_at(T0 + timedelta(hours=2, seconds=1))
    with frozen_now(T0 + timedelta(hours=3)):  # signed cookies need one clock
        login_as("clinician", service="crisis_response")
        page = f"/referrals/{body['id']}"
        response = client.post(f"/referrals/{body['id']}/events", data={
            "event": "acknowledge_escalation", "csrf_token": csrf_token(client, page), "next": page})
        assert response.status_code == 302
        shown = client.get(page).get_data(as_text=True)
    assert "Escalation acknowledged" in shown or "acknowledged" in shown.lower()
    [row] = _ack_rows(body["id"])
    assert row.detail == {"clocks": ["first_contact"]}


def test_who_may_not_acknowledge_is_refused_before_anything_is_said_of_the_clocks(client, sender, payload):
    """The sending system may read its referral, not acknowledge an escalation on it: a 403,
    whether or not a clock has breached (a 409 would say which)."""
    _, headers = sender
    body = client.post("/api/v1/referrals", json=payload(), headers=headers).get_json()
    response = client.post(f"/api/v1/referrals/{body['id']}/events",
                           json={"event": "acknowledge_escalation"}, headers=headers)
    assert response.status_code == 403, response.get_json()
    assert _ack_rows(body["id"]) == []
