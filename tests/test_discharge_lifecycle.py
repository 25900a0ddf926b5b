"""A hospital discharge's own events in the transition table, without a database:
who may record them, on which referrals, and when."""
from datetime import UTC, date, datetime, timedelta

import pytest

from spoa.domain.actor import Actor
from spoa.domain.lifecycle import LifecycleError, allowed_events, fire_event

DISCHARGE_EVENTS = ("discharged", "readiness_withdrawn", "ready_again", "delay")
TODAY = date(2026, 11, 24)
NOON = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


class Discharge:
    def __init__(self, state="offered", route="home_rehab", kind="discharge", hospital_ods="RNS01",
                 drd=TODAY - timedelta(days=1), discharged_at=None, api_client_id=None):
        self.state, self.route, self.kind, self.hospital_ods = state, route, kind, hospital_ods
        self.discharge_ready_date, self.discharged_at, self.api_client_id = drd, discharged_at, api_client_id


WARD = Actor(kind="user", id=1, name="sister", role="ward", hospital="RNS01")
OTHER_WARD = Actor(kind="user", id=2, name="kgh-ward", role="ward", hospital="RNQ01")
HOSPITAL_SYSTEM = Actor(kind="api_client", id=3, name="ngh-epr", hospital="RNS01")
SUPERVISOR = Actor(kind="user", id=4, name="sup", role="supervisor")
CLINICIAN = Actor(kind="user", id=5, name="rehab", role="clinician", service="home_rehab")
REHAB_SYSTEM = Actor(kind="api_client", id=6, name="rehab-system", service="home_rehab")
HANDLER = Actor(kind="user", id=7, name="hana", role="call_handler")
SENDER = Actor(kind="api_client", id=8, name="a-discharge-hub", hospital=None)


@pytest.fixture(autouse=True)
def today(frozen_now):
    frozen_now(NOON)


@pytest.mark.parametrize("actor", [WARD, HOSPITAL_SYSTEM, SUPERVISOR], ids=["ward", "hospital system", "supervisor"])
def test_the_hospital_and_the_hubs_supervisors_record_a_discharges_events(actor):
    assert set(DISCHARGE_EVENTS) - {"ready_again"} <= set(allowed_events(Discharge(), actor))
    assert fire_event(Discharge(), "discharged", actor) == ("offered", "offered")


def test_the_system_that_sent_it_records_them_as_its_referrer():
    row = Discharge(api_client_id=SENDER.id)
    assert "discharged" in allowed_events(row, SENDER)
    assert allowed_events(Discharge(api_client_id=99), SENDER) == []


@pytest.mark.parametrize("actor", [OTHER_WARD, CLINICIAN, REHAB_SYSTEM, HANDLER],
                         ids=["another hospital's ward", "the service's clinician", "the service's system",
                              "a call handler"])
def test_nobody_else_records_a_discharge(actor):
    assert not set(DISCHARGE_EVENTS) & set(allowed_events(Discharge(), actor))
    with pytest.raises(LifecycleError) as refused:
        fire_event(Discharge(), "discharged", actor)
    assert refused.value.status == 403
    assert refused.value.message == "You may not record the discharge of this referral."


def test_a_community_referral_has_no_discharge_events():
    row = Discharge(kind="community", hospital_ods=None)
    assert not set(DISCHARGE_EVENTS) & set(allowed_events(row, SUPERVISOR))
    with pytest.raises(LifecycleError) as refused:
        fire_event(row, "discharged", SUPERVISOR)
    assert (refused.value.status, refused.value.message) == (
        409, "Cannot record the discharge of a community referral.")


def test_discharged_closes_a_simple_discharge_and_leaves_every_other_route_where_it_was():
    assert fire_event(Discharge("offered", "discharge_simple"), "discharged", WARD) == ("offered", "completed")
    assert fire_event(Discharge("triaged", "discharge_simple"), "discharged", WARD) == ("triaged", "completed")
    for state, route in [("offered", "home_rehab"), ("accepted", "bed_rehab"), ("in_review", "supervisor_review"),
                         ("in_progress", "reablement")]:
        assert fire_event(Discharge(state, route), "discharged", WARD) == (state, state)


@pytest.mark.parametrize("event", DISCHARGE_EVENTS)
def test_once_the_patient_has_left_hospital_nothing_more_is_recorded(event):
    row = Discharge(discharged_at=NOON - timedelta(hours=1), drd=None if event == "ready_again" else TODAY)
    with pytest.raises(LifecycleError) as refused:
        fire_event(row, event, WARD, reason="x")
    assert refused.value.status == 409
    assert refused.value.message.endswith(": the patient has already left hospital.")
    assert not set(DISCHARGE_EVENTS) & set(allowed_events(row, WARD))


@pytest.mark.parametrize("state", ["completed", "cancelled", "withdrawn", "redirected"])
def test_a_closed_referral_records_no_discharge(state):
    with pytest.raises(LifecycleError) as refused:
        fire_event(Discharge(state), "discharged", SUPERVISOR)
    assert refused.value.status == 409


def test_readiness_is_withdrawn_only_while_ready_and_given_again_only_while_withdrawn():
    ready, withdrawn = Discharge(drd=TODAY), Discharge(drd=None)
    assert "readiness_withdrawn" in allowed_events(ready, WARD) and "ready_again" not in allowed_events(ready, WARD)
    assert "ready_again" in allowed_events(withdrawn, WARD)
    assert "readiness_withdrawn" not in allowed_events(withdrawn, WARD)
    with pytest.raises(LifecycleError) as refused:
        fire_event(withdrawn, "readiness_withdrawn", WARD, reason="Chest infection")
    assert (refused.value.status, refused.value.message) == (
        409, "Cannot withdraw readiness for this referral: readiness for discharge is already withdrawn.")
    with pytest.raises(LifecycleError) as refused:
        fire_event(ready, "ready_again", WARD)
    assert (refused.value.status, refused.value.message) == (
        409, "Cannot record readiness again for this referral: the patient is already ready for discharge.")


def test_withdrawing_readiness_needs_a_reason():
    with pytest.raises(LifecycleError) as refused:
        fire_event(Discharge(), "readiness_withdrawn", WARD, reason=" ")
    assert (refused.value.status, refused.value.field) == (422, "reason")
    assert refused.value.message == "A reason is required to withdraw readiness for it."


def test_a_delay_is_recorded_only_after_the_drd_while_ready_and_in_hospital():
    assert "delay" in allowed_events(Discharge(drd=TODAY - timedelta(days=1)), WARD)
    for drd in (TODAY, TODAY + timedelta(days=2)):  # on the DRD itself the patient is not yet delayed
        with pytest.raises(LifecycleError) as refused:
            fire_event(Discharge(drd=drd), "delay", WARD, reason="transport")
        assert refused.value.status == 409
        assert "not delayed until the day after its discharge ready date" in refused.value.message
    with pytest.raises(LifecycleError) as refused:
        fire_event(Discharge(drd=None), "delay", WARD, reason="transport")
    assert refused.value.message == "Cannot record a delay on this referral: readiness for discharge is withdrawn."


def test_the_drd_day_is_the_uk_day(frozen_now):
    frozen_now(datetime(2026, 7, 1, 23, 30, tzinfo=UTC))  # 00:30 BST on 2 July
    assert "delay" in allowed_events(Discharge(drd=date(2026, 7, 1)), WARD)


def test_a_delay_needs_its_reason():
    with pytest.raises(LifecycleError) as refused:
        fire_event(Discharge(), "delay", WARD)
    assert (refused.value.status, refused.value.field) == (422, "reason")
