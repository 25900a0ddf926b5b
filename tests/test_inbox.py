"""The inbox's one definition (spoa/notifications/inbox.py): what is open, and whose.

Notifications come from real clocks chased by the reconciler (tests/support/fixtures/chasing.py).
A notification reaches a person here by setting its user_id (``to_person``), as the
rota would (tests/workers/test_notify_on_duty.py tests that it does)."""
from datetime import timedelta

import pytest

from spoa.extensions import db as database
from spoa.models import DutyShift, User
from spoa.notifications import inbox
from tests.support.data.inbox_data import BREACHED, WARNED, WARNED_TWICE, in_app, person, to_person
from tests.support.fixtures.chasing import T0

pytestmark = pytest.mark.both_databases


def count(user, at):
    database.session.expire_all()
    return inbox.count_for(database.session.get(User, user.id), at)


def subjects(user, at):
    database.session.expire_all()
    return [n.subject for n in inbox.open_for(database.session.get(User, user.id), at)]


@pytest.fixture
def sam(db):
    return person("clinician", "sam", service="crisis_response")


def test_a_breach_supersedes_the_warnings_before_it_one_item_a_clock(post_referral, reconcile_at, sam):
    body = post_referral()
    reconcile_at(WARNED)
    reconcile_at(WARNED_TWICE)
    to_person(body["id"], sam)
    assert count(sam, WARNED_TWICE) == 1
    assert "90% of its time gone" in subjects(sam, WARNED_TWICE)[0]
    reconcile_at(BREACHED)
    to_person(body["id"], sam)
    assert count(sam, BREACHED) == 1
    assert "BREACHED" in subjects(sam, BREACHED)[0]
    assert len(in_app(body["id"])) == 3  # all three are on record; one needs someone


def test_a_met_clock_leaves_nothing_to_take(post_referral, reconcile_at, sam, client, make_api_client, frozen_now):
    body = post_referral()
    reconcile_at(BREACHED)
    to_person(body["id"], sam)
    assert count(sam, BREACHED) == 1
    _, token = make_api_client(sources=None, service="crisis_response")
    with frozen_now(BREACHED + timedelta(minutes=1)):
        for event in ("accept", "first_contact"):  # the first contact clock is met
            response = client.post(f"/api/v1/referrals/{body['id']}/events", json={"event": event},
                                   headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 200, response.get_json()
    assert count(sam, BREACHED + timedelta(minutes=2)) == 0


def test_a_closed_referral_leaves_nothing_to_take(post_referral, reconcile_at, sam, client, sender, frozen_now):
    body = post_referral()
    reconcile_at(WARNED)
    to_person(body["id"], sam)
    assert count(sam, WARNED) == 1
    _, headers = sender
    with frozen_now(WARNED + timedelta(minutes=1)):
        response = client.post(f"/api/v1/referrals/{body['id']}/events",
                               json={"event": "withdraw", "reason": "Patient went to ED"}, headers=headers)
        assert response.status_code == 200, response.get_json()
    assert count(sam, WARNED + timedelta(minutes=2)) == 0


def test_taken_is_not_open_and_take_is_once(post_referral, reconcile_at, sam):
    body = post_referral()
    reconcile_at(WARNED)
    to_person(body["id"], sam)
    [warning] = in_app(body["id"])
    other = person("clinician", "alex", service="crisis_response")
    assert inbox.take(warning, database.session.get(User, sam.id), WARNED) is True
    assert inbox.take(warning, database.session.get(User, other.id), WARNED) is False  # too late
    assert count(sam, WARNED) == 0
    [warning] = in_app(body["id"])
    assert warning.taken_by.username == "sam"


def test_a_duty_nobody_was_named_for_reaches_whoever_holds_it_and_every_supervisor(post_referral, reconcile_at, sam):
    post_referral()
    reconcile_at(WARNED)  # to service_duty_lead:crisis_response, nobody named
    off_duty = person("clinician", "kim", service="crisis_response")
    supervisor = person("supervisor", "pat")
    database.session.add(DutyShift(duty="service_duty_lead", service="crisis_response", user_id=sam.id,
                                   starts_at=T0, ends_at=T0 + timedelta(hours=12), created_by="test"))
    database.session.commit()
    assert count(sam, WARNED) == 1
    assert count(off_duty, WARNED) == 0
    assert count(supervisor, WARNED) == 1  # the safety net for a chain nobody held
    assert count(sam, T0 + timedelta(hours=12)) == 0  # the shift is over: the next holder has it


def test_a_person_sees_only_referrals_the_access_policy_lets_them_read(post_referral, reconcile_at):
    body = post_referral()
    reconcile_at(WARNED)
    home_rehab = person("clinician", "robin", service="home_rehab")
    to_person(body["id"], home_rehab)  # addressed to them, a crisis response referral
    assert count(home_rehab, WARNED) == 0
    assert subjects(home_rehab, WARNED) == []


def test_one_persons_notification_is_not_anothers(post_referral, reconcile_at, sam):
    body = post_referral()
    reconcile_at(WARNED)
    to_person(body["id"], sam)
    colleague = person("clinician", "alex", service="crisis_response")
    assert count(sam, WARNED) == 1
    assert count(colleague, WARNED) == 0


def test_the_badge_counts_referral_by_referral_what_the_list_shows(post_referral, reconcile_at, sam, client, sender,
                                                                    frozen_now):
    """The badge is a sum of one count per open referral (count_for): each referral's open
    items once, a closed referral's none, the same as the list."""
    first, second, closed = (post_referral(source_reference=f"BADGE-{i}") for i in range(3))
    reconcile_at(WARNED)
    reconcile_at(WARNED_TWICE)  # two warnings a clock: one item a clock
    for body in (first, second, closed):
        to_person(body["id"], sam)
    _, headers = sender
    with frozen_now(WARNED_TWICE + timedelta(minutes=1)):
        response = client.post(f"/api/v1/referrals/{closed['id']}/events",
                               json={"event": "withdraw", "reason": "Patient went to ED"}, headers=headers)
        assert response.status_code == 200, response.get_json()
    at = WARNED_TWICE + timedelta(minutes=2)
    assert count(sam, at) == len(subjects(sam, at)) == 2
    assert type(count(sam, at)) is int  # PostgreSQL sums counts as numeric: the badge's JSON needs an int
