"""Delivering the notification outbox: email (SMTP), webhooks (SMS gateways and
any other system) and outcomes to a referral's sender (sender_webhook: signed
as Standard Webhooks say; bars: a BaRS servicerequest-response to the sender's
$process-message), with a recorded attempt each time and backoff between them.

No network I/O ever happens inside a transaction. A delivery pass (its own RQ
job, workers/jobs.py deliver) first CLAIMS a batch of due notifications and
commits (status 'sending', next_attempt_at = the lease's end; FOR UPDATE SKIP
LOCKED on PostgreSQL, so several workers share the outbox); then sends each with
short timeouts, holding no lock; then records each attempt in a short
transaction of its own. A pass has an overall time budget: claims it had no time
for are released at its end. A claim whose worker died is due again once its
lease ends. So a dead SMTP host or a black-holed webhook costs a delivery worker
its timeouts, and never holds the database against chasing or intake.

Delivery is at-least-once: a worker killed after sending but before recording
sends again after the lease. Receivers get a stable notification id to dedupe on.
A notification that fails for good raises a supervisor alert ('delivery-failed').
"""
import base64
import json
import logging
import smtplib
import time
import urllib.error
import urllib.request
from datetime import timedelta
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import selectinload
from standardwebhooks import Webhook

from .. import sealed
from ..clocks import now
from ..database import is_postgresql
from ..extensions import db
from ..models import ClockEffect, DeliveryAttempt, Notification
from ..safe_log import bound

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
FIRST_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=1)
# A claim outlives the longest pass (budget plus one send's timeouts); after it
# a worker that died mid-pass has its claims taken up by the next.
LEASE = timedelta(seconds=120)
BATCH = 50
FAILED_ALERT = "delivery-failed"


def _payload(n: Notification) -> dict:
    # What leaves the building: the reference and the clock (or the flag), never patient details.
    if n.audit_event_id is not None:  # an outcome for the sender: its body was fixed when it happened
        return n.payload
    effect = n.effect
    # Who it was for: the person on duty (a username, staff's own) and the duties passed over.
    body = {"notification_id": n.id, "referral_id": str(n.referral_id), "recipient": n.recipient,
            "person": n.user.username if n.user else None, "nobody_on_duty": list(n.nobody_on_duty or []),
            "subject": n.subject}
    if effect is None:  # an alert (a flag raised), not a clock's threshold
        return {**body, "kind": "alert", "alert": n.alert}
    return {**body, "clock": effect.clock.name, "kind": effect.kind, "level": effect.level,
            "deadline": effect.clock.deadline.isoformat(), "due_at": effect.due_at.isoformat()}


def _timeout() -> float:
    return float(current_app.config["DELIVERY_TIMEOUT_SECONDS"])


def _send_email(c: dict) -> None:
    cfg = current_app.config
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = cfg["SMTP_FROM"], c["target"], "SPOA: " + c["subject"]
    msg["X-SPOA-Notification"] = str(c["id"])
    msg.set_content(json.dumps(c["payload"], indent=2))
    # The timeout bounds each socket operation: a host that accepts and never
    # greets costs one timeout, not minutes.
    with smtplib.SMTP(cfg["SMTP_HOST"], cfg["SMTP_PORT"], timeout=_timeout()) as smtp:
        smtp.send_message(msg)


def _send_webhook(c: dict) -> None:
    request = urllib.request.Request(
        c["target"], data=json.dumps(c["payload"]).encode(), method="POST",
        headers={"Content-Type": "application/json", "Idempotency-Key": f"spoa-notification-{c['id']}"})
    with urllib.request.urlopen(request, timeout=_timeout()) as response:
        if not 200 <= response.status < 300:
            raise OSError(f"webhook answered {response.status}")


def _send_signed_webhook(c: dict) -> None:
    """An outcome to a JSON API sender's callback, signed as Standard Webhooks say:
    the same webhook-id on every retry (the receiver dedupes on it), the
    timestamp of this attempt, the signature over id, timestamp and these bytes."""
    if c.get("secret") is None:
        raise OSError(c.get("secret_problem") or "no signing secret")
    at = now()
    body = json.dumps({"type": c["payload"]["type"], "timestamp": at.isoformat(), "data": c["payload"]["data"]},
                      separators=(",", ":"))
    message_id = f"spoa-outcome-{c['id']}"
    signature = Webhook(c["secret"]).sign(msg_id=message_id, timestamp=at, data=body)
    request = urllib.request.Request(c["target"], data=body.encode(), method="POST", headers={
        "Content-Type": "application/json", "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())), "webhook-signature": signature})
    with urllib.request.urlopen(request, timeout=_timeout()) as response:
        if not 200 <= response.status < 300:
            raise OSError(f"callback answered {response.status}")


def _send_bars(c: dict) -> None:
    """An outcome to a BaRS sender: the servicerequest-response POSTed to its
    $process-message. X-Request-ID was fixed with the outcome, so it is the same
    on every retry of this message (and new for each message): the receiver
    de-duplicates on it, as BaRS receivers do. X-Correlation-ID is the original
    message's. A 409 duplicate answer means an earlier attempt got there
    (the standard's Failure-Scenarios): delivered, not an error."""
    from . import bars_response

    if c.get("original") is None:
        raise OSError(c.get("bars_problem") or "the original message is missing")
    body = bars_response.build(c["payload"], c["original"], current_app.config["SPOA_DOS_SERVICE_IDS"])
    from ..models.fhir_endpoint import endpoint_key

    system, _, value = (endpoint_key(c["original"]["source_endpoint"]) or "").rpartition("|")
    target_identifier = base64.b64encode(json.dumps({"value": value, "system": system}).encode()).decode()
    request = urllib.request.Request(c["target"], data=body, method="POST", headers={
        "Content-Type": bars_response.JSON_TYPE, "Accept": bars_response.JSON_TYPE,
        "X-Request-ID": c["payload"]["bars"]["request_id"], "X-Correlation-ID": c["original"]["correlation_id"],
        "NHSD-Target-Identifier": target_identifier})
    try:
        with urllib.request.urlopen(request, timeout=_timeout()) as response:
            if not 200 <= response.status < 300:
                raise OSError(f"$process-message answered {response.status}")
    except urllib.error.HTTPError as exc:
        if exc.code == 409 and _is_duplicate(exc):
            return
        raise OSError(f"$process-message answered {exc.code}") from None


def _is_duplicate(answer) -> bool:
    """A 409 whose OperationOutcome has an issue of code duplicate (the code BaRS keeps for that)."""
    try:
        outcome = json.loads(answer.read(65536) or b"{}")
    except (ValueError, OSError):
        return False
    return any(isinstance(i, dict) and i.get("code") == "duplicate" for i in outcome.get("issue") or [])


SENDERS = {"email": _send_email, "webhook": _send_webhook, "sender_webhook": _send_signed_webhook,
           "bars": _send_bars}


def _original_message(n: Notification) -> dict:
    """What the response needs of the referral's original BaRS message, as plain data."""
    from ..models import Referral
    from .fhir_endpoints import original_message

    message = original_message(db.session.get(Referral, n.referral_id))
    if message is None:
        return {"original": None, "bars_problem": "the referral has no original BaRS message"}
    return {"original": {"body": message.body, "content_type": message.content_type,
                         "bundle_id": message.bundle_id, "source_endpoint": message.source_endpoint,
                         "correlation_id": message.correlation_id, "bars_version": message.bars_version}}


def _signing_secret(n: Notification) -> dict:
    """The sender's signing secret, unsealed for this pass only (held in memory,
    never logged or stored unsealed). A sealed secret that cannot be read is a
    failed attempt, recorded and retried like any other, never a crash."""
    from ..models import ApiClient, Referral

    referral = db.session.get(Referral, n.referral_id)
    client = db.session.get(ApiClient, referral.api_client_id) if referral.api_client_id else None
    if client is None or not client.webhook_secret_sealed:
        return {"secret": None, "secret_problem": "the sender has no signing secret"}
    try:
        return {"secret": sealed.unseal(client.webhook_secret_sealed)}
    except sealed.Unreadable as exc:
        return {"secret": None, "secret_problem": str(exc)}


def backoff(attempts: int) -> timedelta:
    return min(FIRST_BACKOFF * (2 ** (attempts - 1)), MAX_BACKOFF)


def _due_clause(at):
    # Pending and due, or claimed by a pass whose lease has run out (its worker died).
    return and_(Notification.status.in_(("pending", "sending")),
                or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= at))


def any_due() -> bool:
    found = db.session.scalar(select(Notification.id).where(_due_clause(now())).limit(1))
    db.session.rollback()
    return found is not None


def claim(limit: int = BATCH) -> list[dict]:
    """Take up to ``limit`` due notifications for this pass and COMMIT: what to
    send, as plain data (no row is held while sending). An outcome goes only while
    its sender may still be told, to where it is registered now (outcomes.still_to_tell)."""
    from .outcomes import still_to_tell

    at = now()
    stmt = (select(Notification).where(_due_clause(at))
            .options(selectinload(Notification.effect).selectinload(ClockEffect.clock),
                     selectinload(Notification.user))
            .order_by(Notification.next_attempt_at, Notification.id).limit(limit))
    if is_postgresql(db.session):
        stmt = stmt.with_for_update(skip_locked=True, of=Notification)
    batch = db.session.scalars(stmt).all()
    until = at + LEASE
    claimed = []
    for n in batch:
        if n.audit_event_id is not None and (why := still_to_tell(n)) is not None:
            n.status, n.next_attempt_at, n.last_error = "cancelled", None, why
            log.info("outcome not sent notification_id=%s channel=%s: %s", n.id, n.channel, why)
            continue
        n.status, n.next_attempt_at = "sending", until
        claimed.append({"id": n.id, "channel": n.channel, "target": n.target, "lease": until,
                        "payload": _payload(n), "subject": n.subject,
                        **(_signing_secret(n) if n.channel == "sender_webhook" else {}),
                        **(_original_message(n) if n.channel == "bars" else {})})
    db.session.commit()
    return claimed


def _still_ours(claimed: dict):
    """The row, if this pass's claim on it stands (not reclaimed after the lease)."""
    n = db.session.get(Notification, claimed["id"], with_for_update=is_postgresql(db.session))
    if n is None or n.status != "sending" or n.next_attempt_at != claimed["lease"]:
        db.session.rollback()
        return None
    return n


def _record(claimed: dict, error: str | None) -> None:
    """One attempt, in its own short transaction, after the network is done."""
    n = _still_ours(claimed)
    if n is None:
        return
    with bound(referral_id=n.referral_id):
        _record_attempt(n, error)


def _record_attempt(n: Notification, error: str | None) -> None:
    at = now()
    n.attempts += 1
    n.delivery_attempts.append(DeliveryAttempt(at=at, ok=error is None, error=error))
    if error is None:
        n.status, n.delivered_at, n.next_attempt_at = "delivered", at, None
        log.info("notification delivered notification_id=%s channel=%s", n.id, n.channel)
    else:
        n.last_error = error
        if n.attempts >= MAX_ATTEMPTS:
            n.status, n.next_attempt_at = "failed", None
            log.error("notification failed for good notification_id=%s channel=%s", n.id, n.channel)
            _alert_failed(n, at)
        else:
            n.status, n.next_attempt_at = "pending", at + backoff(n.attempts)
    db.session.commit()


def _alert_failed(n: Notification, at) -> None:
    """Somebody was not told: the supervisor is, in the app (and on their own
    channels), and the referral page shows it. An alert about a failed alert is
    not raised again (no loop when the supervisor's own channel is down)."""
    from ..models import Referral
    from .chasing import alert

    if n.alert == FAILED_ALERT:
        return
    referral = db.session.get(Referral, n.referral_id)
    alert(referral, "spoa_supervisor",
          f"{referral.reference}: {n.channel} to {n.user.username if n.user else n.recipient} failed"
          f" after {n.attempts} attempts",
          FAILED_ALERT, at)


def _release(claims: list[dict]) -> None:
    """Claims this pass had no time for: due again at once, for the next pass."""
    for claimed in claims:
        db.session.execute(update(Notification).where(
            Notification.id == claimed["id"], Notification.status == "sending",
            Notification.next_attempt_at == claimed["lease"]).values(status="pending", next_attempt_at=now()))
    db.session.commit()


def _send(claimed: dict) -> str | None:
    try:
        SENDERS[claimed["channel"]](claimed)
    except Exception as exc:  # any failure of the far end is retried, never fatal
        return f"{type(exc).__name__}: {exc}"[:500]
    return None


def deliver_due(limit: int = BATCH, budget_seconds: float | None = None) -> int:
    """One delivery pass: claim (commit), send (no transaction), record each (commit).
    Returns the number of attempts made. Never call it inside a transaction that
    holds anything: it commits."""
    if budget_seconds is None:
        budget_seconds = float(current_app.config["DELIVERY_BUDGET_SECONDS"])
    db.session.commit()  # nothing of the caller's is held while the network is slow
    ends = time.monotonic() + budget_seconds
    claims = claim(limit)
    done = 0
    for i, claimed in enumerate(claims):
        if time.monotonic() >= ends:
            _release(claims[i:])
            log.warning("delivery pass out of time: %s notifications released", len(claims) - i)
            break
        error = _send(claimed)
        _record(claimed, error)
        done += 1
    return done
