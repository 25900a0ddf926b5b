"""A discharge's events from the pages' one action endpoint: a hub supervisor may
record them; a clinician of the service it is routed to may not."""
from datetime import date

import pytest

from spoa.models import DelayedDay
from tests.support.data.discharges import reread, row, uk
from tests.support.signing_in import csrf_token


@pytest.fixture
def home(post_discharge):
    return post_discharge(uk(2026, 11, 23, 10, 0), drd=date(2026, 11, 24))


def fire(client, referral, event, **fields):
    return client.post(f"/referrals/{referral['id']}/events", data={
        "event": event, "version": str(reread(referral)["version"]), "csrf_token": csrf_token(client, "/queue"),
        "next": "/queue", **fields})


def test_a_supervisor_records_a_discharge_and_a_delay(home, client, login_as, db, frozen_now):
    login_as("supervisor")
    frozen_now(uk(2026, 11, 25, 10, 0))
    assert fire(client, home, "delay", reason="awaiting_care_package").status_code == 302
    assert fire(client, home, "discharged").status_code == 302
    assert row(db, home).discharged_at == uk(2026, 11, 25, 10, 0)
    delays = [(d.reason, d.recorded_by) for d in db.session.query(DelayedDay)]
    assert delays == [("awaiting_care_package", "supervisor")]
    assert [(h["event"], h["actor_kind"]) for h in reread(home)["history"][-2:]] == [
        ("delay", "user"), ("discharged", "user")]


def test_a_clinician_of_the_service_may_not_record_the_discharge(home, client, login_as, db):
    login_as("clinician", service="home_rehab")
    response = client.post(f"/referrals/{home['id']}/events", data={
        "event": "discharged", "version": str(home["version"]), "csrf_token": csrf_token(client, "/worklist"),
        "next": "/worklist"})
    assert response.status_code == 403
    assert row(db, home).discharged_at is None


def test_a_supervisor_re_routing_a_discharge_keeps_its_drd_and_accept_clocks(home, client, login_as, frozen_now):
    login_as("supervisor")
    frozen_now(uk(2026, 11, 23, 11, 0))
    before = {c["name"]: c for c in reread(home)["clocks"] if c["status"] == "running"}
    response = fire(client, home, "override", route="bed_rehab", urgency="urgent", reason="Needs a bed overnight")
    assert response.status_code == 302
    after = reread(home)
    assert after["route"] == "bed_rehab"
    running = {c["name"]: c for c in after["clocks"] if c["status"] == "running"}
    assert set(running) == {"accept", "discharge", "placement"}  # a discharge's clocks, not the community's
    for name in ("accept", "discharge"):  # the same clocks, not restarted
        assert (running[name]["started_at"], running[name]["deadline"]) == (
            before[name]["started_at"], before[name]["deadline"])
    assert len([c for c in after["clocks"] if c["name"] == "discharge"]) == 1


def test_a_discharged_patient_routed_home_later_gets_the_welfare_check_from_their_discharge(
        post_discharge, client, login_as, frozen_now, hospital_fires):
    review = post_discharge(uk(2026, 11, 24, 10, 0), drd=date(2026, 11, 24), review=True)
    left = uk(2026, 11, 24, 12, 0)
    assert hospital_fires(review, "discharged", uk(2026, 11, 24, 12, 5), at=left.isoformat()).status_code == 200
    assert [c for c in reread(review)["clocks"] if c["name"] == "welfare_check"] == []  # no service yet
    login_as("supervisor")
    frozen_now(uk(2026, 11, 24, 13, 0))
    assert fire(client, review, "triage", route="home_rehab", urgency="urgent").status_code == 302
    welfare = [c for c in reread(review)["clocks"] if c["name"] == "welfare_check"]
    assert [(c["status"], c["started_at"]) for c in welfare] == [("running", left.isoformat())]


def test_a_supervisor_may_route_a_discharge_in_review_home_with_no_new_care(post_discharge, client, login_as,
                                                                             payload, sender, frozen_now):
    review = post_discharge(uk(2026, 11, 23, 10, 0), drd=date(2026, 11, 24), review=True)  # D1: NEWS2 5
    _, headers = sender
    community = client.post("/api/v1/referrals", json=payload(presenting_need="other"), headers=headers).get_json()
    login_as("supervisor")
    frozen_now(uk(2026, 11, 23, 10, 5))
    simple = 'value="discharge_simple"'
    assert simple in client.get(f"/referrals/{review['id']}").get_data(as_text=True)
    assert simple not in client.get(f"/referrals/{community['id']}").get_data(as_text=True)
    assert fire(client, review, "triage", route="discharge_simple", urgency="routine").status_code == 302
    after = reread(review)
    assert (after["route"], after["discharge"]["pathway"]) == ("discharge_simple", 0)
