"""Waiting for a bed (rules/policy/flags.yaml): bed-based rehab with no bed free
is flagged, on the timeline, and the supervisor is told; it is never re-routed."""
import json
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from spoa.extensions import db as database
from spoa.models import ClockEffect, Notification, NotificationChannel, Referral, Service
from tests.support.fixtures.chasing import T0
from tests.support.servers import serve_in_background

from .conftest import BED

pytestmark = pytest.mark.both_databases


@pytest.fixture
def bed_team(make_api_client):
    _, token = make_api_client(sources=None, service="bed_rehab")
    return {"Authorization": f"Bearer {token}"}


def alerts(body):
    return [n for n in body["notifications"] if n["kind"] == "alert"]


def test_no_bed_free_flags_it_waiting_for_a_bed_and_tells_the_supervisor(beds, post_referral, db):
    beds(10, 10)
    body = post_referral(at=T0, **BED)
    assert (body["route"], body["state"], body["waiting_for"]) == ("bed_rehab", "offered", "bed")
    flag = body["history"][-1]
    assert [h["event"] for h in body["history"]] == ["receive", "triage", "offer", "flag"]
    assert (flag["from_state"], flag["to_state"], flag["actor_kind"]) == ("offered", "offered", "system")
    assert flag["reason"].startswith("No community bed is free today")
    assert flag["detail"]["flag"] == "bed" and flag["detail"]["facts"] == {"route": "bed_rehab", "capacity_free": 0}
    assert [(n["recipient"], n["channel"], n["status"], n["alert"], n["clock"]) for n in alerts(body)] == [
        ("spoa_supervisor", "in_app", "delivered", "waiting-for-bed", None)]
    assert f"{body['reference']}: Waiting for bed" == alerts(body)[0]["subject"]
    # The alert is no clock's: no effect recorded, the bed clock's chase untouched.
    assert database.session.query(ClockEffect).count() == 0
    accept = next(c for c in body["clocks"] if c["name"] == "accept")
    assert accept["status"] == "running" and accept["effects"] == []


@pytest.mark.parametrize("total, in_use", [(10, 9), (None, 0)], ids=["a bed free", "never declared"])
def test_with_a_bed_free_or_beds_never_declared_nothing_is_flagged(beds, post_referral, db, total, in_use):
    beds(total, in_use)
    body = post_referral(at=T0, **BED)
    assert (body["route"], body["waiting_for"]) == ("bed_rehab", None)
    assert [h["event"] for h in body["history"]] == ["receive", "triage", "offer"]
    assert alerts(body) == [] and database.session.query(Notification).count() == 0


def test_another_route_with_nothing_free_is_not_waiting_for_a_bed(db, post_referral):
    db.session.add(Service(code="home_rehab", name="Home rehab", capacity_total=5, capacity_in_use=5))
    db.session.commit()
    body = post_referral(at=T0, presenting_need="rehabilitation",
                         function={"medically_stable": True, "rehab_potential": True, "needs_overnight_care": False})
    assert (body["route"], body["waiting_for"]) == ("home_rehab", None)


def test_accepting_it_means_a_bed_was_found_and_clears_the_flag(beds, post_referral, bed_team, client):
    beds(10, 10)
    body = post_referral(at=T0, **BED)
    accepted = client.post(f"/api/v1/referrals/{body['id']}/events", json={"event": "accept"}, headers=bed_team)
    data = accepted.get_json()
    assert (data["state"], data["waiting_for"]) == ("accepted", None)
    assert data["history"][-1]["detail"] == {"waiting_for_cleared": "bed"}


def test_handed_back_to_a_supervisor_it_is_no_longer_waiting_for_a_bed(beds, post_referral, bed_team, client):
    beds(10, 10)
    body = post_referral(at=T0, **BED)
    data = client.post(f"/api/v1/referrals/{body['id']}/events", json={"event": "decline", "reason": "Full"},
                       headers=bed_team).get_json()
    assert (data["route"], data["waiting_for"]) == ("supervisor_review", None)


def test_a_supervisor_routing_to_bed_rehab_with_no_bed_raises_it_once(beds, post_referral, client, db):
    from spoa.models import User
    from tests.support.people import PASSWORD
    from tests.support.signing_in import csrf_token

    beds(4, 4)
    body = post_referral(at=T0, presenting_need="other")  # to a supervisor
    user = User(username="sue", role="supervisor")
    user.set_password(PASSWORD)
    db.session.add(user)
    db.session.commit()
    client.post("/login", data={"username": "sue", "password": PASSWORD, "csrf_token": csrf_token(client)})

    def route(version, route_to, event):
        response = client.post(f"/referrals/{body['id']}/events", data={
            "event": event, "version": str(version), "route": route_to, "urgency": "routine", "reason": "Needs a bed",
            "csrf_token": csrf_token(client, f"/referrals/{body['id']}")})
        assert response.status_code == 302
        db.session.expire_all()
        return db.session.get(Referral, uuid.UUID(body["id"]))

    referral = route(body["version"], "bed_rehab", "triage")
    assert (referral.route, referral.waiting_for) == ("bed_rehab", "bed")
    assert referral.history[-1].event == "flag" and referral.history[-1].actor_name == "sue"
    referral = route(referral.version, "bed_rehab", "override")  # same route again: still waiting, not re-alerted
    assert referral.waiting_for == "bed"
    assert [h.event for h in referral.history].count("flag") == 1
    assert database.session.query(Notification).filter(Notification.alert.isnot(None)).count() == 1
    referral = route(referral.version, "home_rehab", "override")  # re-routed away from beds
    assert (referral.route, referral.waiting_for) == ("home_rehab", None)


class Receiver(BaseHTTPRequestHandler):
    bodies: list = []

    def do_POST(self):
        type(self).bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_the_supervisors_alert_goes_out_on_their_channels_without_patient_details(beds, post_referral,
                                                                                    reconcile_at, db):
    Receiver.bodies = []
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    serve_in_background(server)
    try:
        db.session.add(NotificationChannel(recipient="spoa_supervisor", channel="webhook",
                                           target=f"http://127.0.0.1:{server.server_address[1]}/hook"))
        db.session.commit()
        beds(10, 10)
        body = post_referral(at=T0, **BED)
        assert [(n["channel"], n["status"]) for n in alerts(body)] == [("in_app", "delivered"),
                                                                      ("webhook", "pending")]
        reconcile_at(T0 + timedelta(seconds=1))
    finally:
        server.shutdown()
    [sent] = Receiver.bodies
    assert (sent["kind"], sent["alert"], sent["recipient"]) == ("alert", "waiting-for-bed", "spoa_supervisor")
    assert sent["subject"] == f"{body['reference']}: Waiting for bed"
    assert "Lovelace" not in json.dumps(sent) and "9434765919" not in json.dumps(sent)
    database.session.expire_all()
    webhook = database.session.query(Notification).filter_by(channel="webhook").one()
    assert (webhook.status, webhook.attempts) == ("delivered", 1)
