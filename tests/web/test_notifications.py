"""The inbox on every page: the badge, /notifications, "I have it".

Notifications come from real clocks chased by the reconciler; most tests then address
one to the signed-in person directly (tests/test_inbox.py: to_person) rather than build
the rota that would (tests/workers/test_notify_on_duty.py tests that)."""
import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy.exc import OperationalError

from spoa.extensions import db as database
from spoa.models import AuditEvent, ClockEffect, DutyShift
from tests.support.data.inbox_data import BREACHED, WARNED, in_app, person, to_person
from tests.support.fixtures.chasing import T0
from tests.support.signing_in import csrf_token

pytestmark = pytest.mark.both_databases


@pytest.fixture
def signed_in(frozen_now, login_as):
    """signed_in(at, role, service, username): signed in with the clock at ``at`` (cookies need one clock)."""
    def sign(at, role="clinician", service="crisis_response", username="sam"):
        frozen_now(at)
        return login_as(role, service=service, username=username)

    return sign


def take(client, notification_id):
    token = csrf_token(client, "/notifications")
    return client.post(f"/notifications/{notification_id}/take", data={"csrf_token": token})


def badge(html) -> str:
    """The badge's words as a person reads them (its text is its accessible name)."""
    found = re.search(r'<a class="inbox-badge[^"]*" id="inbox-badge" href="/notifications">(.*?)</a>', html, re.S)
    return " ".join(re.sub(r"<[^>]+>", "", found.group(1)).split()) if found else None


def page(client, path="/notifications"):
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_badge_on_every_page_says_how_many_need_the_person(post_referral, reconcile_at, signed_in, client):
    body = post_referral()
    reconcile_at(WARNED)
    sam = signed_in(WARNED)
    to_person(body["id"], sam)
    for path in ("/", "/notifications", f"/referrals/{body['id']}"):
        html = page(client, path)
        assert badge(html) == "1 notification needs someone", path
        assert 'src="/static/inbox.js?v=' in html and "data-events=\"/notifications/events\"" in html


def test_no_badge_and_no_count_for_someone_not_signed_in(client, db, monkeypatch):
    from spoa.web import notifications

    monkeypatch.setattr(notifications.inbox, "count_for", lambda *a: pytest.fail("counted for nobody"))
    html = client.get("/login").get_data(as_text=True)
    assert "inbox-badge" not in html and "inbox.js" not in html


def test_a_page_still_shows_when_the_database_is_away_for_the_count(client, signed_in, monkeypatch):
    from spoa.web import notifications

    signed_in(T0)

    def away(*_):
        raise OperationalError("SELECT count", {}, Exception("connection refused"))

    monkeypatch.setattr(notifications.inbox, "count_for", away)
    html = page(client, "/")
    assert badge(html) == "Notifications"


def test_the_page_lists_what_needs_them_newest_first_with_the_first_button_focused(
        post_referral, reconcile_at, signed_in, client):
    first, second = post_referral(), post_referral(at=T0 + timedelta(minutes=10))
    reconcile_at(WARNED + timedelta(minutes=10))  # both warned; the second's warning made in the same pass
    sam = signed_in(WARNED + timedelta(minutes=10))
    to_person(first["id"], sam)
    to_person(second["id"], sam)
    html = page(client)
    assert html.count("I have it") == 2
    assert html.count("autofocus") == 1
    items = re.findall(r'<li id="notification-(\d+)">(.*?)</li>', html, re.S)
    assert [int(i) for i, _ in items] == sorted((int(i) for i, _ in items), reverse=True)  # newest first
    text = items[0][1]
    assert "75% of its time gone" in text and "to sam (Crisis response duty lead)" in text
    assert all(f'href="/referrals/{r["id"]}">{r["reference"]}</a>' in html for r in (first, second))
    assert "autofocus" in text


def test_nobody_on_duty_is_said_on_the_item(post_referral, reconcile_at, signed_in, client):
    body = post_referral()
    reconcile_at(WARNED)
    for n in in_app(body["id"]):  # as notify records it: nobody held the duty lead, on to the supervisor
        n.recipient, n.nobody_on_duty = "spoa_supervisor", ["service_duty_lead:crisis_response"]
    database.session.commit()
    signed_in(WARNED, role="supervisor", service=None, username="pat")
    assert "to nobody on duty as Crisis response duty lead, sent on to SPOA supervisor" in page(client)


def test_i_have_it_on_a_warning_takes_it_and_the_chain_sees_who(post_referral, reconcile_at, signed_in, client):
    body = post_referral()
    reconcile_at(WARNED)
    sam = signed_in(WARNED)
    [warning] = in_app(body["id"])
    to_person(body["id"], sam)
    response = take(client, warning.id)
    assert response.status_code == 302 and response.headers["Location"].endswith("/notifications")
    html = page(client)
    assert f'<div class="inset" role="status">You have it: {body["reference"]}</div>' in html
    assert badge(html) == "0 notifications need someone"
    assert "Taken by sam at Mon 23 Nov 2026 11:31 GMT" in html
    # Nothing was acknowledged: a warning pauses no chain.
    assert database.session.query(AuditEvent).filter_by(event="acknowledge_escalation").count() == 0


def test_i_have_it_on_a_breach_acknowledges_it_and_the_next_escalation_does_not_fire(
        post_referral, reconcile_at, signed_in, client):
    body = post_referral()
    reconcile_at(BREACHED)
    sam = signed_in(BREACHED + timedelta(minutes=1))
    to_person(body["id"], sam)
    breach = in_app(body["id"])[-1]
    assert "BREACHED" in breach.subject
    assert take(client, breach.id).status_code == 302
    assert f"You have it: {body['reference']}" in page(client)
    [ack] = database.session.query(AuditEvent).filter_by(
        referral_id=uuid.UUID(body["id"]), event="acknowledge_escalation").all()
    assert ack.detail == {"clocks": ["first_contact"]}
    # Every open notification of the clock is taken, by sam (the one place: inbox.acknowledge).
    assert {(n.taken_by_user_id, n.taken_at is not None) for n in in_app(body["id"])} == {(sam.id, True)}
    reconcile_at(BREACHED + timedelta(minutes=40))  # past two re-chase intervals (15 min)
    database.session.expire_all()
    kinds = [e.kind for e in database.session.query(ClockEffect).filter_by(referral_id=uuid.UUID(body["id"]))]
    assert "escalation" not in kinds
    assert len(in_app(body["id"])) == 1  # the breach's: nothing new


def test_acknowledging_from_the_referral_page_clears_the_inbox_too(post_referral, reconcile_at, signed_in, client):
    body = post_referral()
    reconcile_at(BREACHED)
    sam = signed_in(BREACHED + timedelta(minutes=1))
    to_person(body["id"], sam)
    where = f"/referrals/{body['id']}"
    client.post(f"{where}/events", data={"event": "acknowledge_escalation", "csrf_token": csrf_token(client, where),
                                         "next": where})
    assert badge(page(client)) == "0 notifications need someone"


def test_the_second_to_press_is_told_who_has_it(post_referral, reconcile_at, signed_in, client, db):
    body = post_referral()
    reconcile_at(BREACHED)
    # Nobody named: it is the duty lead's (sam holds it) and every supervisor's.
    sam = person("clinician", "sam", service="crisis_response")
    database.session.add(DutyShift(duty="service_duty_lead", service="crisis_response", user_id=sam.id,
                                   starts_at=T0, ends_at=T0 + timedelta(hours=12), created_by="test"))
    database.session.commit()
    breach = in_app(body["id"])[-1]
    signed_in(BREACHED + timedelta(minutes=1), role="supervisor", service=None, username="pat")
    token = csrf_token(client, "/notifications")
    # sam pressed a moment before pat: the acknowledgement is committed when pat's arrives.
    from spoa.domain.actor import Actor
    from spoa.models import Referral, User
    from spoa.services.actions import apply_event

    apply_event(database.session.get(Referral, uuid.UUID(body["id"])), "acknowledge_escalation",
                Actor.for_user(database.session.get(User, sam.id)))
    response = client.post(f"/notifications/{breach.id}/take", data={"csrf_token": token})
    assert response.status_code == 302
    assert f"{body['reference']}: sam already has it." in page(client)


def test_someone_elses_notification_is_a_404(post_referral, reconcile_at, signed_in, client):
    body = post_referral()
    reconcile_at(WARNED)
    other = person("clinician", "alex", service="crisis_response")
    to_person(body["id"], other)
    [warning] = in_app(body["id"])
    signed_in(WARNED)
    assert take(client, warning.id).status_code == 404
    assert take(client, 999999).status_code == 404
    assert in_app(body["id"])[0].taken_at is None


def test_a_notification_of_a_referral_the_access_policy_hides_is_a_404(post_referral, reconcile_at, signed_in,
                                                                       client):
    body = post_referral()
    reconcile_at(WARNED)
    robin = signed_in(WARNED, service="home_rehab", username="robin")
    to_person(body["id"], robin)  # addressed to them, yet a crisis response referral
    [warning] = in_app(body["id"])
    html = page(client)
    assert body["reference"] not in html and badge(html) == "0 notifications need someone"
    assert take(client, warning.id).status_code == 404
    assert in_app(body["id"])[0].taken_at is None


def test_the_page_costs_the_same_queries_for_two_items_or_seven(post_referral, reconcile_at, signed_in, client, db):
    from tests.support.statements import statements

    def queries_for_the_page():
        with statements(db.engine) as seen:
            html = page(client)
        return html, len(seen)

    def show(open_ones, taken_ones, taker):
        """Some warnings to sam, open; some taken, each by a person of its own."""
        for body in open_ones + taken_ones:
            to_person(body["id"], sam)
        for i, body in enumerate(taken_ones):
            for note in in_app(body["id"]):
                note.taken_at, note.taken_by_user_id = WARNED, person("clinician", f"{taker}{i}").id
        database.session.commit()

    bodies = [post_referral() for _ in range(7)]
    reconcile_at(WARNED)
    sam = signed_in(WARNED + timedelta(minutes=1))
    show(bodies[:1], bodies[1:2], "few")
    html, cost = queries_for_the_page()
    assert all(b["reference"] in html for b in bodies[:2]) and "Taken by few0" in html
    show(bodies[2:5], bodies[5:], "many")
    html, more = queries_for_the_page()
    assert all(b["reference"] in html for b in bodies) and "Taken by many1" in html
    assert more == cost
