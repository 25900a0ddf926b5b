"""A discharge's clocks chased by the same reconciler as every clock: the DRD
clock across midnight and both clock changes, the welfare check of a patient
discharged before the service accepted, and who is told on routes no service holds."""
from datetime import date, timedelta

import pytest

from tests.support.data.discharges import (
    BED_REHAB,
    clock,
    clocks_named,
    reread,
    uk,
    when,
)
from tests.support.fixtures.chasing import effects

pytestmark = pytest.mark.both_databases

MS = timedelta(milliseconds=1)


def chased(clock_of, referral, name):
    found = clock_of(referral["id"], name)
    return found.status, effects(found)


def test_received_at_2330_on_the_drd_the_patient_has_half_an_hour(post_discharge, reconcile_at, clock_of):
    drd = date(2026, 11, 24)
    body = post_discharge(uk(2026, 11, 24, 23, 30), drd=drd)
    discharge = clock(body, "discharge")
    assert when(discharge["deadline"]) == uk(2026, 11, 24, 23, 59, 59, 999000)
    reconcile_at(uk(2026, 11, 24, 23, 52, 31))  # 75% of the half hour
    assert chased(clock_of, body, "discharge") == ("warned", [("warning", 75)])
    reconcile_at(uk(2026, 11, 25, 0, 0, 0))  # past midnight: breached
    assert chased(clock_of, body, "discharge") == ("breached", [("warning", 75), ("warning", 90), ("breach", 1)])


@pytest.mark.parametrize("drd, last_instant_utc", [
    # Last Sunday of October: the day is 25 hours long and ends in GMT.
    (date(2026, 10, 25), uk(2026, 10, 25, 23, 59, 59, 999000)),
    # Last Sunday of March: 23 hours, ending in BST (22:59:59.999 UTC).
    (date(2027, 3, 28), uk(2027, 3, 28, 23, 59, 59, 999000)),
], ids=["october", "march"])
def test_a_drd_on_the_day_the_clocks_change_ends_at_uk_midnight(post_discharge, reconcile_at, clock_of, drd,
                                                                last_instant_utc):
    body = post_discharge(uk(drd.year, drd.month, drd.day - 1, 12, 0), drd=drd)
    assert when(clock(body, "discharge")["deadline"]) == last_instant_utc
    reconcile_at(last_instant_utc - timedelta(seconds=59))  # 23:59 UK: still the DRD
    status, recorded = chased(clock_of, body, "discharge")
    assert ("breach", 1) not in recorded and status == "warned"
    reconcile_at(last_instant_utc + MS)  # 00:00 UK the next day
    assert chased(clock_of, body, "discharge")[0] == "breached"


def test_received_after_the_drd_the_patient_has_24_hours_from_receipt(post_discharge):
    received = uk(2026, 11, 25, 0, 30)
    body = post_discharge(received, drd=date(2026, 11, 24))
    discharge = clock(body, "discharge")
    assert (when(discharge["started_at"]), when(discharge["deadline"])) == (received, received + timedelta(hours=24))


def test_a_home_discharge_accepts_within_four_hours_and_runs_no_start_clock(post_discharge):
    received = uk(2026, 11, 23, 10, 0)
    body = post_discharge(received, drd=date(2026, 11, 24))
    assert when(clock(body, "accept")["deadline"]) == received + timedelta(hours=4)
    running = {c["name"] for c in body["clocks"] if c["status"] == "running"}
    assert running == {"accept", "discharge"}


def test_a_bed_is_placed_within_24_hours_and_the_discharge_into_it_meets_the_clock(
        post_discharge, hospital_fires):
    body = post_discharge(uk(2026, 11, 23, 10, 0), drd=date(2026, 11, 24), needs=BED_REHAB)
    assert body["route"] == "bed_rehab"
    assert when(clock(body, "placement")["deadline"]) == uk(2026, 11, 24, 10, 0)
    hospital_fires(body, "discharged", uk(2026, 11, 24, 9, 0))
    after = reread(body)
    assert (clock(after, "placement")["status"], clock(after, "discharge")["status"]) == ("met", "met")
    assert clocks_named(after, "welfare_check") == []  # a bed, not home: no welfare check


def test_a_patient_discharged_before_the_service_accepted_is_still_chased_for_the_welfare_check(
        post_discharge, hospital_fires, reconcile_at, clock_of, make_api_client, client):
    body = post_discharge(uk(2026, 11, 23, 10, 0), drd=date(2026, 11, 24))
    left = uk(2026, 11, 24, 11, 0)
    assert hospital_fires(body, "discharged", uk(2026, 11, 24, 11, 5), at=left.isoformat()).status_code == 200
    assert reread(body)["state"] == "offered"  # nobody has accepted yet
    welfare = clock_of(body["id"], "welfare_check")
    assert (welfare.status, welfare.deadline) == ("running", left + timedelta(hours=24))
    reconcile_at(left + timedelta(hours=18))
    assert chased(clock_of, body, "welfare_check") == ("warned", [("warning", 75)])
    reconcile_at(left + timedelta(hours=24, minutes=1))
    status, recorded = chased(clock_of, body, "welfare_check")
    assert status == "breached" and recorded[-1] == ("breach", 1)
    breach = [n for n in reread(body)["notifications"] if n["clock"] == "welfare_check" and n["kind"] == "breach"]
    assert [n["recipient"] for n in breach] == ["service_duty_lead:home_rehab"]
    # The service accepts and rings her: the welfare check is met.
    _, token = make_api_client(sources=None, service="home_rehab")
    team = {"Authorization": f"Bearer {token}"}
    url = f"/api/v1/referrals/{body['id']}/events"
    assert client.post(url, json={"event": "accept"}, headers=team).status_code == 200
    assert client.post(url, json={"event": "first_contact"}, headers=team).status_code == 200
    assert clock_of(body["id"], "welfare_check").status == "met"


def test_a_discharge_in_review_runs_its_drd_clock_and_the_supervisor_is_chased(
        post_discharge, reconcile_at, clock_of):
    body = post_discharge(uk(2026, 11, 24, 10, 0), drd=date(2026, 11, 24), review=True)
    assert (body["route"], body["state"]) == ("supervisor_review", "in_review")
    assert clock(body, "discharge")["status"] == "running"
    reconcile_at(uk(2026, 11, 25, 0, 1))
    assert chased(clock_of, body, "discharge")[0] == "breached"
    told = {(n["clock"], n["kind"], n["recipient"]) for n in reread(body)["notifications"]}
    assert ("discharge", "breach", "spoa_supervisor") in told


def test_a_simple_discharges_drd_clock_is_the_supervisors_to_chase(post_discharge, reconcile_at):
    body = post_discharge(uk(2026, 11, 24, 10, 0), drd=date(2026, 11, 24), simple=True)
    assert body["route"] == "discharge_simple"
    reconcile_at(uk(2026, 11, 24, 21, 0))  # past 75% of 10:00 to midnight
    warnings = [n for n in reread(body)["notifications"] if n["clock"] == "discharge"]
    assert [(n["kind"], n["recipient"]) for n in warnings] == [("warning", "spoa_supervisor")]


def test_withdrawn_readiness_is_not_chased_and_the_new_drd_is(post_discharge, hospital_fires, reconcile_at,
                                                               clock_of):
    body = post_discharge(uk(2026, 11, 23, 10, 0), drd=date(2026, 11, 24))
    hospital_fires(body, "readiness_withdrawn", uk(2026, 11, 23, 12, 0), reason="Temperature spike")
    reconcile_at(uk(2026, 11, 25, 12, 0))  # well past the old DRD
    stopped = clocks_named(reread(body), "discharge")[0]
    assert (stopped["status"], stopped["effects"]) == ("cancelled", [])
    hospital_fires(body, "ready_again", uk(2026, 11, 25, 12, 0), discharge_ready_date="2026-11-26")
    reconcile_at(uk(2026, 11, 27, 0, 0))
    first, second = clocks_named(reread(body), "discharge")
    assert first["effects"] == [] and second["status"] == "breached"
