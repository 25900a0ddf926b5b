"""The referrer is told the outcome (JSON API senders): each
outcome event is one signed Standard Webhooks delivery to the sender's callback,
through the notification outbox, shown on the referral's timeline."""
import json
import re
import uuid
from datetime import UTC

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError
from standardwebhooks import Webhook, WebhookVerificationError

from spoa.extensions import db as database
from spoa.models import Notification
from spoa.platform.timekeeping import to_uk
from tests.support.data.referral_data import full_view
from tests.support.fixtures.outcomes import outcome_rows, told

pytestmark = pytest.mark.both_databases


@pytest.fixture
def sender(make_sender, callback):
    return make_sender(callback_url=callback.url)


def test_an_accepted_referral_tells_its_sender_in_a_signed_message_without_patient_details(
        sender, callback, post, fire, crisis_team, deliver):
    _, headers, secret = sender
    referral = post(headers)
    deliver()
    assert callback.received == []  # intake's own events: the sender had its answer
    fire(crisis_team, referral, "accept")
    assert deliver() == 1
    [(sent_headers, body)] = callback.received
    data = Webhook(secret).verify(body, sent_headers)  # raises unless SPOA signed exactly these bytes
    assert data["type"] == "referral.accept"
    assert data["data"] == {**data["data"], "referral_id": referral["id"], "reference": referral["reference"],
                            "event": "accept", "outcome": "accepted", "state": "accepted",
                            "route": "crisis_response"}
    [row] = outcome_rows()
    assert sent_headers["webhook-id"] == f"spoa-outcome-{row.id}"
    text = body.decode()
    assert "Lovelace" not in text and "9434765919" not in text and "NN1 5BD" not in text
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 32).verify(body, sent_headers)  # another secret does not verify


def test_the_timeline_says_the_sender_was_told_and_when(sender, callback, post, fire, crisis_team, deliver):
    _, headers, _ = sender
    referral = post(headers)
    fire(crisis_team, referral, "accept")
    assert told(referral["id"]) == [("accept", "telling the sender: accepted")]
    deliver()
    [row] = outcome_rows()
    line = f"sender told: accepted, {to_uk(row.delivered_at):%H:%M}"
    assert told(referral["id"]) == [("accept", line)]


def test_the_referral_page_shows_what_the_sender_was_told(sender, callback, post, fire, crisis_team, deliver,
                                                          client, login_as):
    _, headers, _ = sender
    referral = post(headers)
    fire(crisis_team, referral, "accept")
    deliver()
    [row] = outcome_rows()
    login_as("supervisor")
    page = client.get(f"/referrals/{referral['id']}").get_data(as_text=True)
    assert f"sender told: accepted, {to_uk(row.delivered_at):%H:%M}" in page


JOURNEYS = {
    # name: (steps, what the sender is told, in order)
    "accepted, then first contact": (
        [("team", "accept", {}), ("team", "first_contact", {}),
         ("team", "review_episode", {})],
        [("accept", "accepted", "accepted"), ("first_contact", "first contact made", "in_progress")]),
    "declined, then routed by a supervisor": (
        [("team", "decline", {"reason": "No capacity"}),
         ("supervisor", "triage", {"route": "home_rehab", "urgency": "urgent"})],
        [("decline", "declined: back to review", "in_review"),
         ("triage", "routed to {home_rehab}", "offered")]),
    "re-routed": (
        [("supervisor", "override", {"route": "home_rehab", "urgency": "urgent", "reason": "Not a crisis"})],
        [("override", "re-routed to {home_rehab}", "offered")]),
    "redirected to 999/ED": (
        [("supervisor", "redirect", {"reason": "Chest pain on the phone"})],
        [("redirect", "redirected to 999/ED", "redirected")]),
    "cancelled": (
        [("team", "accept", {}), ("supervisor", "cancel", {"reason": "Duplicate of SPOA-1"})],
        [("accept", "accepted", "accepted"), ("cancel", "cancelled", "cancelled")]),
}


@pytest.mark.parametrize("journey", JOURNEYS)
def test_each_outcome_event_is_exactly_one_delivery(journey, app, sender, callback, post, fire, crisis_team,
                                                    supervisor_does, deliver):
    from spoa.domain.policy import current_policy

    _, headers, secret = sender
    referral = post(headers)
    steps, expected = JOURNEYS[journey]
    for who, event, options in steps:
        if who == "team":
            fire(crisis_team, referral, event, **options)
        else:
            supervisor_does(referral, event, **options)
        deliver()
    deliver()
    routes = current_policy().routes
    want = [(event, reads.replace("{home_rehab}", routes["home_rehab"].name), state)
            for event, reads, state in expected]
    got = [Webhook(secret).verify(body, h)["data"] for h, body in callback.received]
    assert [(d["event"], d["outcome"], d["state"]) for d in got] == want
    assert len({h["webhook-id"] for h, _ in callback.received}) == len(want)
    assert [e for e, _ in told(referral["id"])] == [e for e, _, _ in want]
    assert all(line.startswith("sender told: ") for _, line in told(referral["id"]))


def test_a_sender_with_no_callback_gets_nothing_and_the_timeline_says_so(make_sender, post, fire, crisis_team,
                                                                          deliver):
    _, headers, secret = make_sender(callback_url=None)
    assert secret is None
    referral = post(headers)
    fire(crisis_team, referral, "accept")
    assert deliver() == 0
    assert outcome_rows() == []
    assert told(referral["id"]) == [("accept", "sender not told: no callback registered")]


def test_a_failed_delivery_is_retried_after_its_backoff_with_the_same_webhook_id(
        frozen_now, sender, callback, post, fire, crisis_team, deliver):
    from datetime import datetime, timedelta

    from spoa.notifications.delivery import backoff

    _, headers, secret = sender
    at = datetime(2026, 11, 23, 9, 14, tzinfo=UTC)
    clock = frozen_now(at)
    referral = post(headers)
    fire(crisis_team, referral, "accept")
    callback.answers = [500]
    deliver()
    [row] = outcome_rows()
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 1, at + backoff(1))
    assert "500" in row.delivery_attempts[0].error
    assert told(referral["id"]) == [("accept", "sending failed, retrying")]
    clock.move_to(at + timedelta(seconds=10))
    assert deliver() == 0  # not due yet
    clock.move_to(at + backoff(1) + timedelta(seconds=1))
    assert deliver() == 1
    [row] = outcome_rows()
    assert row.status == "delivered" and [a.ok for a in row.delivery_attempts] == [False, True]
    (first_headers, _), (second_headers, body) = callback.received
    assert first_headers["webhook-id"] == second_headers["webhook-id"]
    assert Webhook(secret).verify(body, second_headers)["data"]["outcome"] == "accepted"
    assert told(referral["id"]) == [("accept", "sender told: accepted, 09:14")]  # 09:14 GMT in November


def test_running_delivery_again_sends_nothing_twice(sender, callback, post, fire, crisis_team, deliver):
    _, headers, _ = sender
    referral = post(headers)
    fire(crisis_team, referral, "accept")
    assert deliver() == 1
    assert deliver() == 0
    assert len(callback.received) == 1


def test_concurrent_delivery_workers_send_one_outcome_once(app, sender, callback, post, fire, crisis_team):
    import threading

    from spoa.notifications.delivery import deliver_due

    _, headers, _ = sender
    referral = post(headers)
    fire(crisis_team, referral, "accept")
    database.session.remove()
    barrier, results, errors = threading.Barrier(4), [], []

    def worker():
        with app.app_context():
            barrier.wait()
            try:
                results.append(deliver_due())
            except OperationalError as exc:  # SQLite only: a writer that waited past its busy timeout
                errors.append(exc)
            finally:
                database.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(results) == 1, errors
    assert len(callback.received) == 1
    if database.engine.dialect.name == "postgresql":  # SKIP LOCKED: nobody waits, nobody fails
        assert errors == []


def test_one_outcome_is_one_row_a_channel(sender, post, fire, crisis_team):
    _, headers, _ = sender
    referral = post(headers)
    fire(crisis_team, referral, "accept")
    [row] = outcome_rows()
    database.session.add(Notification(audit_event_id=row.audit_event_id, referral_id=row.referral_id,
                                      recipient=row.recipient, channel=row.channel, target=row.target,
                                      subject=row.subject, payload=row.payload))
    with pytest.raises(IntegrityError):
        database.session.commit()
    database.session.rollback()


def test_the_outcome_commits_with_its_event_or_not_at_all(sender, post, crisis_team, client):
    _, headers, _ = sender
    referral = post(headers)
    refused = client.post(f"/api/v1/referrals/{referral['id']}/events", json={"event": "decline", "reason": " "},
                          headers=crisis_team)
    assert refused.status_code == 422
    assert outcome_rows() == []


def test_a_notification_has_exactly_one_origin(sender, post, fire, crisis_team):
    from spoa.models import AuditEvent

    _, headers, _ = sender
    referral = post(headers)
    fire(crisis_team, referral, "accept")
    [row] = outcome_rows()
    database.session.add(Notification(audit_event_id=row.audit_event_id, alert="delivery-failed",
                                      referral_id=row.referral_id, recipient="spoa_supervisor", channel="in_app",
                                      subject="x"))
    with pytest.raises(IntegrityError):
        database.session.commit()
    database.session.rollback()
    assert database.session.get(AuditEvent, row.audit_event_id).event == "accept"


def test_the_signing_secret_is_sealed_at_rest_and_never_logged(sender, callback, post, fire, crisis_team, deliver,
                                                              caplog):
    import logging

    from spoa.models import ApiClient

    row, headers, secret = sender
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/=]{32}", secret)
    database.session.expire_all()
    stored = database.session.get(ApiClient, row.id)
    assert secret not in stored.webhook_secret_sealed and secret[6:] not in stored.webhook_secret_sealed
    caplog.set_level(logging.DEBUG)
    referral = post(headers)
    fire(crisis_team, referral, "accept")
    deliver()
    assert len(callback.received) == 1
    assert secret not in caplog.text and secret[6:] not in caplog.text
    assert secret not in json.dumps(full_view(referral["id"]), default=str)


def test_a_secret_sealed_under_another_key_fails_the_attempt_and_is_retried(app, sender, callback, post, fire,
                                                                           crisis_team, deliver):
    _, headers, _ = sender
    referral = post(headers)
    fire(crisis_team, referral, "accept")
    saved = app.config["SEAL_KEYS"]
    app.config["SEAL_KEYS"] = ["a replaced key " + uuid.uuid4().hex]  # the sealing key dropped, not kept to read
    try:
        deliver()
    finally:
        app.config["SEAL_KEYS"] = saved
    [row] = outcome_rows()
    assert (row.status, row.attempts) == ("pending", 1) and "unreadable" in row.last_error
    assert callback.received == []


def test_a_revoked_sender_is_not_told(sender, callback, post, fire, crisis_team, deliver):
    from spoa.models import ApiClient

    row, headers, _ = sender
    referral = post(headers)
    database.session.get(ApiClient, row.id).is_active = False
    database.session.commit()
    fire(crisis_team, referral, "accept")
    deliver()
    assert outcome_rows() == [] and callback.received == []
