"""Delivering the notification outbox: email (SMTP) and webhooks (SMS gateways and
any other system), with a recorded attempt each time and backoff between them.

Delivery is at-least-once: a worker killed after sending but before its commit
sends again on the next pass. Receivers get a stable notification id to dedupe on.
"""
import json
import logging
import smtplib
import urllib.request
from datetime import timedelta
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import or_, select

from ..clocks import now
from ..database import is_postgresql
from ..extensions import db
from ..models import DeliveryAttempt, Notification

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
FIRST_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=1)
TIMEOUT_SECONDS = 5


def _payload(n: Notification) -> dict:
    # What leaves the building: the reference and the clock (or the flag), never patient details.
    effect = n.effect
    body = {"notification_id": n.id, "referral_id": str(n.referral_id), "recipient": n.recipient,
            "subject": n.subject}
    if effect is None:  # an alert (a flag raised), not a clock's threshold
        return {**body, "kind": "alert", "alert": n.alert}
    return {**body, "clock": effect.clock.name, "kind": effect.kind, "level": effect.level,
            "deadline": effect.clock.deadline.isoformat(), "due_at": effect.due_at.isoformat()}


def _send_email(n: Notification) -> None:
    cfg = current_app.config
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = cfg["SMTP_FROM"], n.target, "SPOA: " + n.subject
    msg["X-SPOA-Notification"] = str(n.id)
    msg.set_content(json.dumps(_payload(n), indent=2))
    with smtplib.SMTP(cfg["SMTP_HOST"], cfg["SMTP_PORT"], timeout=TIMEOUT_SECONDS) as smtp:
        smtp.send_message(msg)


def _send_webhook(n: Notification) -> None:
    request = urllib.request.Request(
        n.target, data=json.dumps(_payload(n)).encode(), method="POST",
        headers={"Content-Type": "application/json", "Idempotency-Key": f"spoa-notification-{n.id}"})
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
        if not 200 <= response.status < 300:
            raise OSError(f"webhook answered {response.status}")


SENDERS = {"email": _send_email, "webhook": _send_webhook}


def backoff(attempts: int) -> timedelta:
    return min(FIRST_BACKOFF * (2 ** (attempts - 1)), MAX_BACKOFF)


def deliver_due(limit: int = 50) -> int:
    """Send the pending notifications whose time has come; one transaction."""
    at = now()
    stmt = (select(Notification)
            .where(Notification.status == "pending",
                   or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= at))
            .order_by(Notification.id).limit(limit))
    if is_postgresql(db.session):
        stmt = stmt.with_for_update(skip_locked=True)  # several workers share the outbox
    batch = db.session.scalars(stmt).all()
    for n in batch:
        n.attempts += 1
        try:
            SENDERS[n.channel](n)
        except Exception as exc:  # any failure of the far end is retried, never fatal
            error = f"{type(exc).__name__}: {exc}"[:500]
            n.delivery_attempts.append(DeliveryAttempt(at=at, ok=False, error=error))
            n.last_error = error
            if n.attempts >= MAX_ATTEMPTS:
                n.status, n.next_attempt_at = "failed", None
                log.error("notification failed for good notification_id=%s channel=%s", n.id, n.channel)
            else:
                n.next_attempt_at = at + backoff(n.attempts)
            continue
        n.delivery_attempts.append(DeliveryAttempt(at=at, ok=True))
        n.status, n.delivered_at, n.next_attempt_at = "delivered", at, None
        log.info("notification delivered notification_id=%s channel=%s", n.id, n.channel)
    db.session.commit()
    return len(batch)
