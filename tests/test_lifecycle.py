"""The transition table and its guards, without a database."""
import pytest

from spoa.domain.actor import Actor
from spoa.domain.lifecycle import (
    CLOSED_STATES,
    EVENTS,
    PUBLIC_EVENTS,
    STATES,
    TRANSITIONS,
    LifecycleError,
    allowed_events,
    check_event,
    fire_event,
)


class Row:
    def __init__(self, state, route="crisis_response", api_client_id=None):
        self.state, self.route, self.api_client_id = state, route, api_client_id


SERVICE = Actor(kind="api_client", id=7, name="crisis system", service="crisis_response")
SUPERVISOR = Actor(kind="user", id=1, name="sup", role="supervisor")
SENDER = Actor(kind="api_client", id=9, name="emas")


def test_an_offered_referral_can_be_accepted_by_its_service():
    row = Row("offered")
    assert fire_event(row, "accept", SERVICE) == ("offered", "accepted")


def test_another_service_may_not_accept():
    row = Row("offered", route="home_rehab")
    with pytest.raises(LifecycleError) as err:
        fire_event(row, "accept", SERVICE)
    assert err.value.status == 403 and row.state == "offered"


@pytest.mark.parametrize("event", ["decline", "cancel", "override", "hand_on"])
def test_events_that_need_a_reason_refuse_without_one(event):
    row = Row({"decline": "offered", "cancel": "offered", "override": "offered", "hand_on": "in_progress"}[event])
    with pytest.raises(LifecycleError) as err:
        fire_event(row, event, SUPERVISOR)
    assert err.value.status == 422 and err.value.field == "reason"


def test_closed_referrals_accept_no_further_events():
    for state in CLOSED_STATES:
        assert allowed_events(Row(state), SUPERVISOR) == []


def test_the_sender_may_withdraw_only_its_own_referral():
    assert "withdraw" in allowed_events(Row("offered", api_client_id=9), SENDER)
    assert "withdraw" not in allowed_events(Row("offered", api_client_id=10), SENDER)


def test_the_machine_has_no_unguarded_to_state_shortcuts():
    from spoa.domain.lifecycle import LIFECYCLE

    assert not any(name.startswith("to_") for name in LIFECYCLE.events)
    assert set(LIFECYCLE.events) == {t.event for t in TRANSITIONS}  # every event is one from the table


class Offered(Row):
    def __init__(self, state="offered", route="voluntary_sector", assigned_service="good_neighbours"):
        super().__init__(state, route)
        self.assigned_service = assigned_service


GOOD_NEIGHBOURS = Actor(kind="user", id=3, name="gail", role="clinician", service="good_neighbours")
AGE_CONCERN = Actor(kind="user", id=4, name="ann", role="clinician", service="age_concern_north")


def test_the_organisation_it_is_offered_to_works_it_and_no_other_organisation_may():
    row = Offered()
    assert {"acknowledge", "accept", "decline"} <= set(allowed_events(row, GOOD_NEIGHBOURS))
    assert allowed_events(row, AGE_CONCERN) == []
    with pytest.raises(LifecycleError) as err:
        fire_event(row, "accept", AGE_CONCERN)
    assert err.value.status == 403
    assert fire_event(row, "accept", GOOD_NEIGHBOURS) == ("offered", "accepted")


def test_only_a_supervisor_reassigns_and_only_a_voluntary_referral():
    assert "reassign" in allowed_events(Offered(), SUPERVISOR)
    assert "reassign" in allowed_events(Offered("accepted"), SUPERVISOR)
    assert "reassign" not in allowed_events(Offered(), GOOD_NEIGHBOURS)
    crisis = Row("offered")
    assert "reassign" not in allowed_events(crisis, SUPERVISOR)
    with pytest.raises(LifecycleError) as err:
        fire_event(crisis, "reassign", SUPERVISOR, reason="x")
    assert err.value.status == 409 and "routed to crisis response" in err.value.message
    with pytest.raises(LifecycleError) as err:
        fire_event(Offered(), "reassign", SUPERVISOR)
    assert (err.value.status, err.value.field) == (422, "reason")
    row = Offered("accepted")
    assert fire_event(row, "reassign", SUPERVISOR, reason="Closer to the patient") == ("accepted", "offered")


def test_a_flag_is_internal_and_never_a_button():
    from spoa.domain.lifecycle import PUBLIC_EVENTS

    assert "flag" not in PUBLIC_EVENTS
    row = Row("offered", route="bed_rehab")
    assert fire_event(row, "flag", Actor.system(), reason="No bed") == ("offered", "offered")
    with pytest.raises(LifecycleError):
        fire_event(row, "flag", SERVICE)


HANDLER = Actor(kind="user", id=5, name="hana", role="call_handler")


def test_a_call_handler_adds_information_but_never_withdraws():
    ambulance = Row("offered", api_client_id=9)
    assert "add_information" in allowed_events(ambulance, HANDLER)
    assert "withdraw" not in allowed_events(ambulance, HANDLER)
    with pytest.raises(LifecycleError) as err:
        fire_event(ambulance, "withdraw", HANDLER, reason="The caller asked")
    assert err.value.status == 403 and ambulance.state == "offered"


def test_withdrawing_needs_a_reason_even_for_the_sender():
    with pytest.raises(LifecycleError) as err:
        fire_event(Row("offered", api_client_id=9), "withdraw", SENDER)
    assert err.value.status == 422 and err.value.field == "reason"


def test_an_admin_is_nothing_to_a_referral():
    admin = Actor(kind="user", id=6, name="root", role="admin", service="crisis_response")
    assert allowed_events(Row("offered"), admin) == []


def test_the_events_offered_are_exactly_those_that_would_not_be_refused():
    # One list of refusals serves both questions: "may this happen?" and "what may happen?".
    for state in STATES:
        for route in ("crisis_response", "voluntary_sector", "home_rehab"):
            for actor in (SERVICE, SUPERVISOR, SENDER):
                row = Row(state, route=route, api_client_id=9)
                allowed = allowed_events(row, actor)
                for event in PUBLIC_EVENTS:
                    try:
                        check_event(row, event, actor, reason="a reason")
                        refused = None
                    except LifecycleError as exc:
                        refused = exc.message
                    assert (event in allowed) == (refused is None), (state, route, actor.name, event, refused)


def test_every_event_has_one_entry_in_the_effects_table():
    # What an event does (services/actions.py) beside what it is (the transition table):
    # a new event in the table without its effects, or an effect of no event, fails here.
    from spoa.services.actions import EFFECTS

    assert set(EFFECTS) == set(EVENTS)
