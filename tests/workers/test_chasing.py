"""Clocks warn, breach and escalate once each, whoever chases them and how often."""
from datetime import UTC, timedelta

import pytest
import sqlalchemy.exc

from spoa.extensions import db as database
from spoa.models import ClockEffect, Notification
from tests.support.fixtures.chasing import T0, effects, minutes

pytestmark = pytest.mark.both_databases


def _clock(body, name):
    return next(c for c in body["clocks"] if c["name"] == name)


def test_a_back_dated_crisis_referral_shows_its_warnings_already_recorded(post_referral):
    body = post_referral(at=T0, received_at=(T0 - timedelta(hours=1, minutes=59, seconds=40)).isoformat())
    first = _clock(body, "first_contact")
    assert first["status"] == "warned" and first["warned_at"] == T0.isoformat()
    assert [(e["kind"], e["level"]) for e in first["effects"]] == [("warning", 75), ("warning", 90)]
    assert first["next_due_at"] == (T0 + timedelta(seconds=20)).isoformat()  # the breach
    # The 75% warning was overtaken by the 90% one: recorded, but only the 90% is sent.
    sent = [(n["kind"], n["level"], n["recipient"]) for n in body["notifications"]]
    assert sent == [("warning", 90, "service_duty_lead:crisis_response")]


def test_an_intake_catches_its_clocks_up_once_though_it_records_two_events(post_referral, monkeypatch):
    from spoa.notifications import chasing

    caught = []
    catch_up = chasing.catch_up
    monkeypatch.setattr(chasing, "catch_up", lambda referral, at: caught.append(referral.id) or catch_up(referral, at))
    body = post_referral(at=T0, received_at=(T0 - timedelta(hours=1, minutes=59, seconds=40)).isoformat())
    assert [e["event"] for e in body["history"]][-2:] == ["triage", "offer"]
    assert [str(referral_id) for referral_id in caught] == [body["id"]]
    assert _clock(body, "first_contact")["status"] == "warned"  # and that once was at the commit


def test_a_pass_at_the_deadline_records_the_breach_and_tells_the_duty_lead(post_referral, reconcile_at, get_referral):
    body = post_referral(at=T0)
    deadline = T0 + timedelta(hours=2)
    reconcile_at(deadline + timedelta(seconds=1))
    first = _clock(get_referral(body["id"]), "first_contact")
    assert first["status"] == "breached" and first["escalation_level"] == 1
    assert first["breached_at"] == (deadline + timedelta(seconds=1)).isoformat()
    breach = [n for n in get_referral(body["id"])["notifications"] if n["kind"] == "breach"]
    assert [(n["recipient"], n["channel"], n["status"]) for n in breach] == [
        ("service_duty_lead:crisis_response", "in_app", "delivered")]


def test_a_breach_escalates_one_link_per_rechase_interval(post_referral, reconcile_at, get_referral):
    body = post_referral(at=T0)
    deadline = T0 + timedelta(hours=2)
    for step in range(4):
        reconcile_at(deadline + minutes(15 * step) + timedelta(seconds=1))
    data = get_referral(body["id"])
    assert _clock(data, "first_contact")["escalation_level"] == 4
    chain = [(n["kind"], n["level"], n["recipient"]) for n in data["notifications"]]
    assert chain[-4:] == [
        ("breach", 1, "service_duty_lead:crisis_response"), ("escalation", 2, "spoa_supervisor"),
        ("escalation", 3, "on_call_manager"), ("escalation", 4, "on_call_manager")]


def test_chasing_the_same_moment_again_and_again_records_nothing_twice(post_referral, reconcile_at, clock_of):
    body = post_referral(at=T0)
    late = T0 + timedelta(hours=2, minutes=20)
    assert reconcile_at(late)["advanced"] == 1
    for _ in range(3):
        assert reconcile_at(late)["advanced"] == 0
    clock = clock_of(body["id"], "first_contact")
    assert effects(clock) == [("warning", 75), ("warning", 90), ("breach", 1), ("escalation", 2)]
    # One step, one notification: the escalation (75/90 and the breach were overtaken in it).
    assert [(n.effect.kind, n.recipient) for n in database.session.query(Notification)] == [
        ("escalation", "spoa_supervisor")]


def test_the_database_refuses_a_second_identical_effect(post_referral, reconcile_at, clock_of):
    body = post_referral(at=T0)
    reconcile_at(T0 + timedelta(hours=2, seconds=1))
    clock = clock_of(body["id"], "first_contact")
    database.session.add(ClockEffect(clock_id=clock.id, referral_id=clock.referral_id, kind="breach",
                                     level=1, due_at=clock.deadline, recorded_at=clock.deadline))
    with pytest.raises(sqlalchemy.exc.IntegrityError):
        database.session.commit()
    database.session.rollback()


def test_a_clock_met_in_time_is_never_breached(frozen_now, post_referral, reconcile_at, client, make_api_client,
                                               get_referral):
    body = post_referral(at=T0)
    _, token = make_api_client(sources=None, service="crisis_response")
    team = {"Authorization": f"Bearer {token}"}
    with frozen_now(T0 + minutes(60)):
        client.post(f"/api/v1/referrals/{body['id']}/events", json={"event": "accept"}, headers=team)
        client.post(f"/api/v1/referrals/{body['id']}/events", json={"event": "first_contact"}, headers=team)
    reconcile_at(T0 + timedelta(hours=3))
    first = _clock(get_referral(body["id"]), "first_contact")
    assert first["status"] == "met" and first["breached_at"] is None and first["next_due_at"] is None


def test_the_top_of_the_chain_is_reminded_repeats_at_top_times_then_chasing_stops(post_referral, reconcile_at,
                                                                                   get_referral):
    body = post_referral(at=T0)
    deadline = T0 + timedelta(hours=2)
    for step in range(3 + 4 + 3):  # the chain's three links, four reminders at the top, three passes more
        reconcile_at(deadline + minutes(15 * step) + timedelta(seconds=1))
    data = get_referral(body["id"])
    first = _clock(data, "first_contact")
    assert (first["status"], first["escalation_level"], first["next_due_at"]) == ("breached", 7, None)
    assert first["acknowledged_at"] is None  # still waiting for a person: listed, and in the inbox
    told = [n for n in data["notifications"] if n["kind"] in ("breach", "escalation") and n["channel"] == "in_app"]
    assert [(n["level"], n["recipient"]) for n in told] == [
        (1, "service_duty_lead:crisis_response"), (2, "spoa_supervisor"),
        *((level, "on_call_manager") for level in range(3, 8))]
    assert [n["level"] for n in told if "final reminder" in n["subject"]] == [7]
    assert "no more will be sent" in told[-1]["subject"] and told[-1]["status"] == "delivered"


def test_a_pass_days_late_stops_at_the_final_reminder(post_referral, reconcile_at, get_referral):
    body = post_referral(at=T0)
    reconcile_at(T0 + timedelta(days=2))
    data = get_referral(body["id"])
    first = _clock(data, "first_contact")
    assert (first["escalation_level"], first["next_due_at"]) == (7, None)
    told = [n for n in data["notifications"] if n["kind"] == "escalation"]
    assert [(n["level"], n["recipient"]) for n in told] == [(7, "on_call_manager")]  # one, not a backlog
    reconcile_at(T0 + timedelta(days=3))
    assert len([n for n in get_referral(body["id"])["notifications"] if n["kind"] == "escalation"]) == 1


def test_an_acknowledged_escalation_pauses_the_chain(frozen_now, post_referral, reconcile_at, client, make_api_client,
                                                     get_referral):
    body = post_referral(at=T0)
    reconcile_at(T0 + timedelta(hours=2, seconds=1))
    _, token = make_api_client(sources=None, service="crisis_response")
    with frozen_now(T0 + timedelta(hours=2, minutes=5)):
        response = client.post(f"/api/v1/referrals/{body['id']}/events",
                               json={"event": "acknowledge_escalation", "reason": "Team on the way"},
                               headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.get_json()
    reconcile_at(T0 + timedelta(hours=3))
    first = _clock(get_referral(body["id"]), "first_contact")
    assert first["status"] == "breached" and first["escalation_level"] == 1
    assert first["acknowledged_at"] and first["next_due_at"] is None


def test_acknowledging_with_nothing_breached_is_a_409(post_referral, client, make_api_client):
    body = post_referral(at=T0)
    _, token = make_api_client(sources=None, service="crisis_response")
    response = client.post(f"/api/v1/referrals/{body['id']}/events", json={"event": "acknowledge_escalation"},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 409


def test_voluntary_sector_clocks_skip_christmas_and_the_boxing_day_substitute(post_referral, db):
    from datetime import date, datetime

    from tests.support.data.duty_data import add_org

    add_org(db, "good_neighbours", total=3, declared_for=date(2026, 12, 24))  # on duty, a place free
    thursday_24_dec_15h = datetime(2026, 12, 24, 15, 0, tzinfo=UTC)
    body = post_referral(at=thursday_24_dec_15h, presenting_need="social_support")
    assert (body["route"], body["assigned_service"]) == ("voluntary_sector", "good_neighbours")
    # 2 working hours on Thursday, then Fri 25 (Christmas), Mon 28 (Boxing Day substitute) skipped.
    assert _clock(body, "acknowledge")["deadline"] == "2026-12-29T11:00:00+00:00"


def test_a_referral_taken_while_redis_is_down_is_chased_once_it_is_back(app, post_referral, reconcile_at, get_referral):
    import redis as redis_lib

    healthy = app.extensions["spoa_redis"]
    app.extensions["spoa_redis"] = redis_lib.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    try:
        body = post_referral(at=T0)
        reconcile_at(T0 + timedelta(hours=2, seconds=1))  # a pass with Redis down still advances
    finally:
        app.extensions["spoa_redis"] = healthy
    assert _clock(get_referral(body["id"]), "first_contact")["status"] == "breached"
