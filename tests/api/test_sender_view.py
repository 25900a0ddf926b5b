"""The sender's view: what a referring system needs of its referral (state, route,
decision, clocks, reference), never staff usernames, notification targets, delivery
errors or what later callers added. And who may see a referral through the API."""
import json
import uuid

import pytest

from spoa.models import AccessEvent, ClockEffect, Notification
from tests.support.data.referral_form import GOOD
from tests.support.people import PASSWORD
from tests.support.signing_in import csrf_token

pytestmark = pytest.mark.both_databases

SENDER_FIELDS = {"id", "reference", "version", "state", "route", "assigned_service", "waiting_for", "urgency",
                 "source", "source_reference", "received_at", "sender_received_at", "updated_at", "decision", "clocks",
                 "kind", "discharge"}  # intake 1.1: a community referral's discharge is null


@pytest.fixture
def sent(client, sender, payload):
    response = client.post("/api/v1/referrals", json=payload(), headers=sender[1])
    assert response.status_code == 201
    return response.get_json()


def sign_in(client, db, username, role, service=None):
    from spoa.models import User

    user = User(username=username, role=role, service=service)
    user.set_password(PASSWORD)
    db.session.add(user)
    db.session.commit()
    client.post("/logout", data={"csrf_token": csrf_token(client, "/login")})
    assert client.post("/login", data={"username": username, "password": PASSWORD,
                                       "csrf_token": csrf_token(client)}).status_code == 302
    return user


def test_the_senders_answer_is_the_senders_view(sent):
    assert set(sent) == SENDER_FIELDS
    assert sent["state"] == "offered" and sent["route"] == "crisis_response"
    assert sent["decision"]["rule_id"] and sent["decision"]["explanation"]
    assert {"name", "status", "deadline"} <= set(sent["clocks"][0])


def test_a_sender_sees_no_staff_names_notes_or_notification_targets(client, db, sender, sent):
    # A call handler adds a second call's information; a supervisor reroutes it with a note.
    sign_in(client, db, "hana.handler", "call_handler")
    client.post("/referrals/preview", data={**GOOD, "csrf_token": csrf_token(client, "/referrals/new")})
    # Shown a match grants nothing: opening it from the panel does.
    assert client.post(f"/referrals/{sent['id']}/open-match",
                       data={"csrf_token": csrf_token(client, "/referrals/new")}).status_code == 303
    note = client.post(f"/referrals/{sent['id']}/events", data={
        "event": "add_information", "reason": "Daughter rang: key safe code 4321",
        "csrf_token": csrf_token(client, "/")})
    assert note.status_code == 302
    sign_in(client, db, "sue.supervisor", "supervisor")
    moved = client.post(f"/referrals/{sent['id']}/events", data={
        "event": "override", "route": "home_rehab", "urgency": "routine",
        "reason": "Spoke to Dr Patel, rehab is right", "csrf_token": csrf_token(client, "/")})
    assert moved.status_code == 302
    # A notification to a named recipient that failed to deliver.
    from spoa.models import Clock

    clock = db.session.query(Clock).filter_by(referral_id=uuid.UUID(sent["id"])).first()
    effect = ClockEffect(clock=clock, referral_id=clock.referral_id, kind="breach", level=0, due_at=clock.deadline,
                         recorded_at=clock.deadline)
    db.session.add(Notification(effect=effect, referral_id=clock.referral_id, recipient="oncall.manager",
                                channel="email", subject="Breach", target="oncall@example.nhs.uk",
                                status="failed", last_error="SMTP 550 mailbox oncall@example.nhs.uk"))
    db.session.commit()

    response = client.get(f"/api/v1/referrals/{sent['id']}", headers=sender[1])
    body = response.get_json()
    text = json.dumps(body)
    assert response.status_code == 200 and set(body) == SENDER_FIELDS
    assert body["route"] == "home_rehab"  # where it is now: the sender needs that
    for secret in ("hana.handler", "sue.supervisor", "key safe", "Dr Patel", "oncall", "SMTP"):
        assert secret not in text, secret

    # The full view, for the service's own system, has all of it.
    row, token = _service_client(db, "home_rehab")
    full = client.get(f"/api/v1/referrals/{sent['id']}", headers={"Authorization": f"Bearer {token}"})
    full_text = json.dumps(full.get_json())
    assert full.status_code == 200
    assert "sue.supervisor" in full_text and "key safe" in full_text and "oncall" in full_text


def _service_client(db, service):
    from spoa.models import ApiClient

    row, token = ApiClient.issue(name=f"{service}-system-{uuid.uuid4().hex[:6]}", service=service)
    db.session.add(row)
    db.session.commit()
    return row, token


def test_the_senders_event_answer_is_the_senders_view_too(client, sender, sent):
    response = client.post(f"/api/v1/referrals/{sent['id']}/events", headers=sender[1],
                           json={"event": "add_information", "reason": "Now has a temperature"})
    assert response.status_code == 200 and set(response.get_json()) == SENDER_FIELDS


def test_the_sender_withdraws_with_a_reason_and_not_without(client, sender, sent):
    url = f"/api/v1/referrals/{sent['id']}/events"
    refused = client.post(url, headers=sender[1], json={"event": "withdraw"})
    assert refused.status_code == 422 and "reason" in refused.get_json()["errors"]
    assert client.post(url, headers=sender[1], json={"event": "withdraw", "reason": " "}).status_code == 422
    done = client.post(url, headers=sender[1], json={"event": "withdraw", "reason": "Patient admitted"})
    assert done.status_code == 200 and done.get_json()["state"] == "withdrawn"


def test_the_service_system_may_not_withdraw(client, db, sent):
    _, token = _service_client(db, "crisis_response")
    response = client.post(f"/api/v1/referrals/{sent['id']}/events", headers={"Authorization": f"Bearer {token}"},
                           json={"event": "withdraw", "reason": "Not ours"})
    assert response.status_code == 403


@pytest.mark.parametrize("surface", ["get", "events"])
def test_another_client_is_answered_404_and_the_refusal_recorded(client, db, make_api_client, sent, surface):
    other, token = make_api_client(name="other-gp-system")
    headers = {"Authorization": f"Bearer {token}"}
    if surface == "get":
        response = client.get(f"/api/v1/referrals/{sent['id']}", headers=headers)
    else:
        response = client.post(f"/api/v1/referrals/{sent['id']}/events", headers=headers,
                               json={"event": "withdraw", "reason": "x"})
    assert response.status_code == 404
    assert sent["reference"] not in response.get_data(as_text=True)
    refused = db.session.query(AccessEvent).filter_by(refused=True).all()
    assert [(a.actor_name, a.via) for a in refused] == [
        ("other-gp-system", "api" if surface == "get" else "api_event")]


def test_the_list_shows_a_client_only_what_it_may_read(client, db, make_api_client, sent):
    _, other = make_api_client()
    _, crisis_token = _service_client(db, "crisis_response")
    _, rehab_token = _service_client(db, "home_rehab")

    def listed(token):
        body = client.get("/api/v1/referrals", headers={"Authorization": f"Bearer {token}"}).get_json()
        return [item["id"] for item in body["items"]]

    assert listed(other) == []
    assert listed(crisis_token) == [sent["id"]]
    assert listed(rehab_token) == []
