"""Lifecycle events through the API: who may fire what, and when."""
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text


@pytest.fixture
def crisis_team(make_api_client):
    _, token = make_api_client(sources=None, service="crisis_response")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def referral(client, sender, payload):
    """A crisis_response referral, offered to the crisis team."""
    _, headers = sender
    return client.post("/api/v1/referrals", json=payload(), headers=headers).get_json()


def fire(client, headers, referral, event, version=None, **body):
    extra = {"If-Match": f'"{version}"'} if version is not None else {}
    return client.post(f"/api/v1/referrals/{referral['id']}/events",
                       json={"event": event, **body}, headers={**headers, **extra})


def test_the_routed_service_accepts_and_records_first_contact(client, crisis_team, referral):
    accepted = fire(client, crisis_team, referral, "accept", version=referral["version"])
    assert accepted.status_code == 200
    assert accepted.get_json()["state"] == "accepted"
    contact = fire(client, crisis_team, referral, "first_contact")
    data = contact.get_json()
    assert data["state"] == "in_progress"
    clocks = {c["name"]: c for c in data["clocks"]}
    assert clocks["first_contact"]["status"] == "met" and clocks["first_contact"]["met_at"]
    assert clocks["episode_end"]["status"] == "running"
    history = data["history"]
    assert [h["event"] for h in history] == ["receive", "triage", "offer", "accept", "first_contact"]
    assert history[-1]["from_state"] == "accepted" and history[-1]["to_state"] == "in_progress"


def test_the_crisis_episode_ends_48_hours_after_first_contact(frozen_now, client, crisis_team, referral):
    fire(client, crisis_team, referral, "accept")
    at = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=30)
    with frozen_now(at):
        data = fire(client, crisis_team, referral, "first_contact").get_json()
    episode = next(c for c in data["clocks"] if c["name"] == "episode_end")
    assert datetime.fromisoformat(episode["deadline"]) == at + timedelta(hours=48)


def test_first_contact_before_acceptance_is_a_409(client, crisis_team, referral):
    response = fire(client, crisis_team, referral, "first_contact")
    assert response.status_code == 409
    assert "offered" in response.get_json()["detail"]


def test_a_decline_needs_a_reason(client, crisis_team, referral):
    response = fire(client, crisis_team, referral, "decline", reason="  ")
    assert response.status_code == 422
    assert "reason" in response.get_json()["errors"]


def test_a_decline_sends_the_referral_back_for_review_and_keeps_the_2_hour_clock(client, crisis_team, referral):
    data = fire(client, crisis_team, referral, "decline", reason="No capacity this shift").get_json()
    assert (data["state"], data["route"]) == ("in_review", "supervisor_review")
    running = {c["name"] for c in data["clocks"] if c["status"] == "running"}
    assert {"first_contact", "triage"} <= running
    assert data["history"][-1]["reason"] == "No capacity this shift"


def test_a_stale_if_match_is_a_412(client, crisis_team, referral):
    response = fire(client, crisis_team, referral, "accept", version=referral["version"] - 1)
    assert response.status_code == 412
    assert response.headers["ETag"] == f'"{referral["version"]}"'


def test_the_sending_system_may_not_accept(client, sender, referral):
    _, headers = sender
    response = fire(client, headers, referral, "accept")
    assert response.status_code == 403


def test_another_service_cannot_even_see_the_referral(client, make_api_client, referral):
    _, token = make_api_client(sources=None, service="home_rehab")
    response = fire(client, {"Authorization": f"Bearer {token}"}, referral, "accept")
    assert response.status_code == 404


def test_the_sender_may_withdraw_and_every_clock_stops(client, sender, referral):
    _, headers = sender
    data = fire(client, headers, referral, "withdraw", reason="Patient admitted").get_json()
    assert data["state"] == "withdrawn"
    assert not [c for c in data["clocks"] if c["status"] in ("running", "warned", "breached")]


def test_an_unknown_event_is_a_422(client, crisis_team, referral):
    response = fire(client, crisis_team, referral, "teleport")
    assert response.status_code == 422
    assert "event" in response.get_json()["errors"]


def test_intake_only_events_cannot_be_fired_through_the_api(client, crisis_team, referral):
    assert fire(client, crisis_team, referral, "offer").status_code == 422


def test_get_shows_the_referral_with_its_history(client, sender, referral):
    _, headers = sender
    response = client.get(f"/api/v1/referrals/{referral['id']}", headers=headers)
    assert response.status_code == 200
    assert response.get_json()["reference"] == referral["reference"]
    assert response.headers["ETag"] == f'"{referral["version"]}"'


def test_a_malformed_referral_id_is_a_404(client, sender):
    _, headers = sender
    assert client.get("/api/v1/referrals/not-a-uuid", headers=headers).status_code == 404


def test_a_client_lists_only_what_it_sent(client, sender, make_api_client, payload, referral):
    _, headers = sender
    _, other_token = make_api_client(sources=["emas"])
    other = {"Authorization": f"Bearer {other_token}"}
    client.post("/api/v1/referrals", json=payload(), headers=other)
    mine = client.get("/api/v1/referrals", headers=headers).get_json()
    assert [r["id"] for r in mine["items"]] == [referral["id"]] and mine["total"] == 1
    filtered = client.get("/api/v1/referrals?state=completed", headers=headers).get_json()
    assert filtered["total"] == 0


def test_a_bad_list_filter_is_a_422(client, sender):
    _, headers = sender
    response = client.get("/api/v1/referrals?state=lost&since=yesterday", headers=headers)
    assert response.status_code == 422
    assert {"state", "since"} <= set(response.get_json()["errors"])


def test_the_audit_history_cannot_be_edited(db, referral):
    import sqlalchemy.exc

    with pytest.raises(sqlalchemy.exc.DatabaseError):
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE audit_events SET reason = 'edited'"))
