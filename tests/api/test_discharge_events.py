"""A discharge's events through the API (intake-contract.md, "Discharge referrals"):
discharged, readiness_withdrawn, ready_again and delay, fired by the hospital's
own system, with their guards, clocks, audit and problem+json refusals."""
from datetime import date, timedelta

import pytest

from spoa.models import AuditEvent, DelayedDay
from tests.support.concurrently import at_once
from tests.support.data.discharges import (
    clock,
    clocks_named,
    events_url,
    reread,
    row,
    uk,
    when,
)

RECEIVED = uk(2026, 11, 23, 10, 0)  # Monday 23 November 2026, GMT
DRD = date(2026, 11, 24)


@pytest.fixture
def home(post_discharge):
    """A home-rehab discharge (D5), offered to the service, ready on Tuesday 24th."""
    return post_discharge(RECEIVED, drd=DRD)


def test_the_hospital_records_the_discharge_at_the_time_the_patient_left(home, hospital_fires, db):
    left = uk(2026, 11, 24, 15, 30)
    response = hospital_fires(home, "discharged", uk(2026, 11, 24, 16, 0), at=left.isoformat())
    assert response.status_code == 200, response.get_json()
    body = reread(home)
    assert body["state"] == "offered"  # the service's work goes on: not a simple discharge
    assert row(db, home).discharged_at == left
    discharge = clock(body, "discharge")
    assert (discharge["status"], when(discharge["met_at"])) == ("met", left)
    welfare = clock(body, "welfare_check")
    assert welfare["status"] == "running"
    assert (when(welfare["started_at"]), when(welfare["deadline"])) == (left, left + timedelta(hours=24))
    event = body["history"][-1]
    assert (event["event"], event["actor"], event["from_state"], event["to_state"]) == (
        "discharged", "ngh-epr", "offered", "offered")
    assert event["detail"] == {"at": left.isoformat(), "route": "home_rehab", "discharge_ready_date": "2026-11-24",
                               "delayed_days": 0}


def test_discharged_without_a_time_is_now(home, hospital_fires, db):
    sent = uk(2026, 11, 24, 9, 0)
    assert hospital_fires(home, "discharged", sent).status_code == 200
    assert row(db, home).discharged_at == sent


def test_a_simple_discharge_closes_when_the_patient_leaves(post_discharge, hospital_fires):
    simple = post_discharge(RECEIVED, drd=DRD, simple=True)
    assert simple["route"] == "discharge_simple"
    response = hospital_fires(simple, "discharged", uk(2026, 11, 24, 11, 0))
    assert response.status_code == 200
    body = reread(simple)
    assert body["state"] == "completed"
    assert [c["name"] for c in body["clocks"] if c["status"] in ("running", "warned", "breached")] == []
    assert clock(body, "discharge")["status"] == "met"
    assert body["history"][-1]["to_state"] == "completed"


@pytest.mark.parametrize("at, problem", [
    (uk(2026, 11, 24, 16, 1), "cannot be in the future"),
    (uk(2026, 11, 1, 12, 0), "before the patient was admitted"),
], ids=["in the future", "before admission"])
def test_a_discharge_time_that_cannot_be_is_a_422_naming_at(home, hospital_fires, db, at, problem):
    response = hospital_fires(home, "discharged", uk(2026, 11, 24, 16, 0), at=at.isoformat())
    assert response.status_code == 422
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert problem in response.get_json()["errors"]["at"][0]
    assert row(db, home).discharged_at is None


@pytest.mark.parametrize("field, value, problem", [
    ("at", "2026-11-24T15:00:00", "Not a valid aware datetime."),
    ("at", "yesterday", "Not a valid datetime."),
    ("discharge_ready_date", "24/11/2026", "Not a valid date."),
])
def test_a_badly_written_time_or_date_is_a_422_naming_it(home, hospital_fires, field, value, problem):
    event = "discharged" if field == "at" else "ready_again"
    response = hospital_fires(home, event, uk(2026, 11, 24, 16, 0), **{field: value})
    assert response.status_code == 422
    assert response.get_json()["errors"][field] == [problem]


@pytest.mark.parametrize("event, field, value", [
    ("delay", "at", "2026-11-24T15:00:00Z"),
    ("readiness_withdrawn", "discharge_ready_date", "2026-11-30"),
])
def test_a_field_of_another_event_is_refused_not_ignored(home, hospital_fires, event, field, value):
    response = hospital_fires(home, event, uk(2026, 11, 25, 13, 0), reason="transport", **{field: value})
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_a_second_discharge_is_a_409(home, hospital_fires):
    assert hospital_fires(home, "discharged", uk(2026, 11, 24, 12, 0)).status_code == 200
    again = hospital_fires(home, "discharged", uk(2026, 11, 24, 13, 0))
    assert again.status_code == 409
    assert again.get_json()["detail"].endswith("the patient has already left hospital.")


def test_withdrawn_readiness_stops_the_drd_clock_and_a_new_drd_restarts_it(home, hospital_fires, db):
    withdrawn = hospital_fires(home, "readiness_withdrawn", uk(2026, 11, 23, 18, 0), reason="Chest infection")
    assert withdrawn.status_code == 200, withdrawn.get_json()
    body = reread(home)
    stopped = clock(body, "discharge")
    assert (stopped["status"], when(stopped["cancelled_at"])) == ("cancelled", uk(2026, 11, 23, 18, 0))
    referral = row(db, home)
    assert (referral.discharge_ready_date, referral.readiness_withdrawn_at) == (None, uk(2026, 11, 23, 18, 0))
    event = body["history"][-1]
    assert (event["event"], event["reason"]) == ("readiness_withdrawn", "Chest infection")
    assert event["detail"]["discharge_ready_date"] == "2026-11-24"
    assert event["detail"]["clocks_stopped"] == ["discharge"]
    # A day later the ward says she is ready again from Friday.
    ready = hospital_fires(home, "ready_again", uk(2026, 11, 25, 9, 0), discharge_ready_date="2026-11-27")
    assert ready.status_code == 200, ready.get_json()
    body = reread(home)
    first, second = clocks_named(body, "discharge")
    assert first["status"] == "cancelled" and second["status"] == "running"
    assert when(second["started_at"]) == uk(2026, 11, 25, 9, 0)
    assert when(second["deadline"]) == uk(2026, 11, 27, 23, 59, 59, 999000)
    referral = row(db, home)
    assert (referral.discharge_ready_date, referral.readiness_withdrawn_at) == (date(2026, 11, 27), None)
    assert body["history"][-1]["detail"]["discharge_ready_date"] == "2026-11-27"
    assert body["history"][-1]["detail"]["clocks_started"] == ["discharge"]


def test_readiness_is_withdrawn_with_a_reason_and_only_once(home, hospital_fires):
    sent = uk(2026, 11, 23, 18, 0)
    no_reason = hospital_fires(home, "readiness_withdrawn", sent)
    assert no_reason.status_code == 422 and "reason" in no_reason.get_json()["errors"]
    assert hospital_fires(home, "readiness_withdrawn", sent, reason="Chest infection").status_code == 200
    assert hospital_fires(home, "readiness_withdrawn", sent, reason="Still unwell").status_code == 409


def test_ready_again_needs_a_new_drd_of_today_or_later_and_readiness_withdrawn_first(home, hospital_fires):
    sent = uk(2026, 11, 25, 9, 0)
    assert hospital_fires(home, "ready_again", sent, discharge_ready_date="2026-11-27").status_code == 409
    hospital_fires(home, "readiness_withdrawn", uk(2026, 11, 23, 18, 0), reason="Chest infection")
    missing = hospital_fires(home, "ready_again", sent)
    assert missing.status_code == 422 and "discharge_ready_date" in missing.get_json()["errors"]
    past = hospital_fires(home, "ready_again", sent, discharge_ready_date="2026-11-24")
    assert past.status_code == 422
    assert "before today (2026-11-25)" in past.get_json()["errors"]["discharge_ready_date"][0]
    assert hospital_fires(home, "ready_again", sent, discharge_ready_date="2026-11-25").status_code == 200


def test_a_delay_is_recorded_with_a_policy_reason_once_a_uk_day(home, hospital_fires, db):
    day_after = uk(2026, 11, 25, 10, 0)
    unknown = hospital_fires(home, "delay", day_after, reason="waiting")
    assert unknown.status_code == 422
    assert unknown.get_json()["errors"]["reason"] == [
        "Unknown delay reason 'waiting': use one of awaiting_care_package, awaiting_community_bed, "
        "awaiting_care_home, awaiting_equipment, awaiting_assessment, patient_or_family_choice, transport, "
        "readiness_withdrawn."]
    assert hospital_fires(home, "delay", day_after, reason="awaiting_equipment").status_code == 200
    again = hospital_fires(home, "delay", uk(2026, 11, 25, 23, 59), reason="transport")
    assert again.status_code == 409
    assert "already recorded: Awaiting equipment or adaptations" in again.get_json()["detail"]
    assert hospital_fires(home, "delay", uk(2026, 11, 26, 0, 1), reason="transport").status_code == 200
    db.session.expire_all()
    days = [(d.day, d.reason, d.recorded_by) for d in db.session.query(DelayedDay).order_by(DelayedDay.day)]
    assert days == [(date(2026, 11, 25), "awaiting_equipment", "ngh-epr"), (date(2026, 11, 26), "transport", "ngh-epr")]
    event = reread(home)["history"][-1]
    assert (event["event"], event["reason"]) == ("delay", "transport")
    assert event["detail"] == {"day": "2026-11-26", "reason_code": "transport", "label": "Awaiting transport",
                               "discharge_ready_date": "2026-11-24", "delayed_days": 2}


def test_no_delay_on_or_before_the_drd_nor_once_the_patient_has_left(home, hospital_fires):
    on_the_day = hospital_fires(home, "delay", uk(2026, 11, 24, 23, 59), reason="transport")
    assert on_the_day.status_code == 409
    assert "not delayed until the day after its discharge ready date (2026-11-24)" in on_the_day.get_json()["detail"]
    hospital_fires(home, "discharged", uk(2026, 11, 25, 8, 0))
    assert hospital_fires(home, "delay", uk(2026, 11, 25, 9, 0), reason="transport").status_code == 409


# --- who may ---------------------------------------------------------------------------------


def test_another_hospitals_system_cannot_see_the_referral_to_record_its_discharge(home, client, make_api_client):
    _, token = make_api_client(sources=("acute",), hospital="RNQ01", name="kgh-epr")
    response = client.post(events_url(home), json={"event": "discharged"}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 404


def test_the_service_the_discharge_is_routed_to_may_not_record_the_discharge(home, client, make_api_client):
    _, token = make_api_client(sources=None, service="home_rehab")
    response = client.post(events_url(home), json={"event": "discharged"}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert response.get_json()["detail"] == "You may not record the discharge of this referral."


def test_a_community_referral_has_no_discharge_to_record(client, sender, payload):
    _, headers = sender
    community = client.post("/api/v1/referrals", json=payload(), headers=headers).get_json()
    response = client.post(events_url(community), json={"event": "discharged"}, headers=headers)
    assert response.status_code == 409
    assert response.get_json()["detail"] == "Cannot record the discharge of a community referral."


# --- at the same moment ------------------------------------------------------------------------


def test_a_discharge_and_a_delay_at_once_have_one_winner(app, home, hospital_sender, frozen_now, db):
    _, headers = hospital_sender
    frozen_now(uk(2026, 11, 25, 10, 0))
    version = reread(home)["version"]
    bodies = iter([{"event": "discharged"}, {"event": "delay", "reason": "transport"}] * 3)

    def send(c):
        return c.post(events_url(home), json=next(bodies), headers={**headers, "If-Match": f'"{version}"'})

    db.session.remove()
    codes = sorted(r.status_code for r in at_once(app, 6, send))
    assert codes.count(200) == 1, codes
    assert set(codes) - {200} <= {409, 412}
    db.session.expire_all()
    discharged = row(db, home).discharged_at is not None
    reasons = db.session.query(DelayedDay).filter(DelayedDay.reason.is_not(None)).count()
    assert (discharged, reasons) in ((True, 0), (False, 1))
    assert db.session.query(AuditEvent).filter(AuditEvent.event.in_(("discharged", "delay"))).count() == 1


def test_two_delays_at_once_record_one_reason(app, home, hospital_sender, frozen_now, db):
    _, headers = hospital_sender
    frozen_now(uk(2026, 11, 25, 10, 0))
    db.session.remove()
    responses = at_once(app, 4, lambda c: c.post(events_url(home), json={"event": "delay", "reason": "transport"},
                                                  headers=headers))
    assert sorted(r.status_code for r in responses) == [200, 409, 409, 409]
    db.session.expire_all()
    assert db.session.query(DelayedDay).count() == 1


def test_openapi_documents_the_discharge_event_fields(client):
    schema = client.get("/api/openapi.json").get_json()["components"]["schemas"]["ReferralEvent"]
    assert {"at", "discharge_ready_date"} <= set(schema["properties"])
    assert {"discharged", "readiness_withdrawn", "ready_again", "delay"} <= set(schema["properties"]["event"]["enum"])
