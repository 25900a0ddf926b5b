"""Notifications leave through their channels, with an attempt recorded each time."""
import json
import socketserver
from datetime import timedelta
from http.server import HTTPServer

import pytest

from spoa.extensions import db as database
from spoa.models import Notification, NotificationChannel
from spoa.notifications.delivery import MAX_ATTEMPTS, backoff
from tests.support.fixtures.chasing import T0
from tests.support.servers import Receiver, SmtpSink, serve_in_background

pytestmark = pytest.mark.both_databases


@pytest.fixture
def webhook(db):
    Receiver.bodies, Receiver.status = [], 200
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    serve_in_background(server)
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    database.session.add(NotificationChannel(recipient="service_duty_lead", channel="webhook", target=url))
    database.session.commit()
    yield Receiver
    server.shutdown()


def _webhook_notifications():
    database.session.rollback()
    return database.session.query(Notification).filter_by(channel="webhook").all()


def test_a_breach_reaches_the_duty_leads_webhook_without_patient_details(webhook, post_referral, reconcile_at):
    body = post_referral(at=T0)
    reconcile_at(T0 + timedelta(hours=2, seconds=1))
    [notification] = _webhook_notifications()
    assert (notification.status, notification.attempts) == ("delivered", 1)
    [(sent, key)] = webhook.bodies
    assert sent["kind"] == "breach" and body["reference"] in sent["subject"]
    assert key == f"spoa-notification-{notification.id}"
    text = json.dumps(sent)
    assert "Lovelace" not in text and "9434765919" not in text and "NN1 5BD" not in text


def test_a_failing_webhook_is_retried_with_backoff_then_delivered(webhook, post_referral, reconcile_at):
    post_referral(at=T0)
    webhook.status = 500
    breach_at = T0 + timedelta(hours=2, seconds=1)
    reconcile_at(breach_at)
    [notification] = _webhook_notifications()
    assert (notification.status, notification.attempts) == ("pending", 1)
    assert notification.next_attempt_at == breach_at + backoff(1)
    assert [a.ok for a in notification.delivery_attempts] == [False]
    assert "500" in notification.delivery_attempts[0].error
    webhook.status = 200
    reconcile_at(breach_at + timedelta(seconds=10))  # not yet time to retry
    assert _webhook_notifications()[0].attempts == 1
    reconcile_at(breach_at + backoff(1) + timedelta(seconds=1))
    [notification] = _webhook_notifications()
    assert notification.status == "delivered"
    assert [a.ok for a in notification.delivery_attempts] == [False, True]


def test_a_notification_that_never_gets_through_is_marked_failed(webhook, post_referral, reconcile_at):
    post_referral(at=T0)
    webhook.status = 503
    at = T0 + timedelta(hours=2, seconds=1)
    reconcile_at(at)
    for attempt in range(1, MAX_ATTEMPTS):
        at += backoff(attempt) + timedelta(seconds=1)
        reconcile_at(at)
    [notification] = [n for n in _webhook_notifications() if n.effect.kind == "breach"]
    assert (notification.status, notification.attempts) == ("failed", MAX_ATTEMPTS)


def test_email_channels_send_through_smtp(app, db, post_referral, reconcile_at):
    SmtpSink.messages = []
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), SmtpSink)
    serve_in_background(server)
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=server.server_address[1])
    database.session.add(NotificationChannel(recipient="service_duty_lead:crisis_response", channel="email",
                                             target="duty.lead@example.nhs.uk"))
    database.session.commit()
    try:
        body = post_referral(at=T0)
        reconcile_at(T0 + timedelta(hours=2, seconds=1))
    finally:
        server.shutdown()
    [message] = SmtpSink.messages
    assert "To: duty.lead@example.nhs.uk" in message and body["reference"] in message
    database.session.rollback()
    assert database.session.query(Notification).filter_by(channel="email").one().status == "delivered"
