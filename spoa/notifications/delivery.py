"""Delivering the notification outbox: email (SMTP), webhooks (SMS gateways and
any other system) and outcomes to a referral's sender (sender_webhook: signed
as Standard Webhooks say; bars: a BaRS servicerequest-response to the sender's
$process-message: each is transports.py), with a recorded attempt each time and
backoff between them.

No network I/O ever happens inside a transaction. A delivery pass (its own RQ
job, workers/jobs.py deliver; several may run at once on several workers) first
CLAIMS a batch of due notifications, duty alerts before senders' outcomes, and
commits (status 'sending', next_attempt_at = the lease's end; FOR UPDATE SKIP
LOCKED on PostgreSQL, so passes share the outbox); then sends up to
DELIVERY_CONCURRENCY at once from threads that hold no database session, each
under a hard deadline (spoa/outbound: DNS to last byte, to a vetted address, no
redirect followed); then records each attempt, as it ends, in a short
transaction of its own. A pass has an overall time budget: claims it had not
begun by then are released at its end. A claim whose worker died is due again
once its lease ends. A receiver that keeps failing has its circuit opened
(circuits.py) and is left alone for a while. So a trickling callback costs one
sending thread one deadline, and never holds up an on-call alert, chasing or intake.

Delivery is at-least-once: a worker killed after sending but before recording
sends again after the lease. Receivers get a stable notification id to dedupe on.
A notification that fails for good raises a supervisor alert ('delivery-failed').
"""
import logging
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import timedelta

from flask import current_app
from rq.timeouts import JobTimeoutException
from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.orm import selectinload

from spoa.extensions import db
from spoa.models import ClockEffect, DeliveryAttempt, Notification
from spoa.notifications import circuits
from spoa.notifications.transports import SENDERS, NotSent, Way
from spoa.platform import outbound, sealed
from spoa.platform.database import is_postgresql, skip_locked
from spoa.platform.safe_log import bound
from spoa.platform.timekeeping import now

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
FIRST_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=1)
# A claim outlives the longest pass (its budget plus one send's deadline); after it
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


def _original_message(n: Notification) -> dict:
    """What the response needs of the referral's original BaRS message, as plain data."""
    from spoa.models import Referral
    from spoa.notifications.fhir_endpoints import original_message

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
    from spoa.models import ApiClient, Referral

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


# Duty alerts (a clock's thresholds, a flag's alert) before senders' outcomes; then the longest due first.
# coalesce: an outcome queued before its next_attempt_at was set has none (NULL sorts first on
# SQLite, last on PostgreSQL).
PRIORITY = (case((Notification.audit_event_id.is_(None), 0), else_=1),
            func.coalesce(Notification.next_attempt_at, Notification.created_at), Notification.id)


def claim(limit: int = BATCH) -> list[dict]:
    """Take up to ``limit`` due notifications for this pass and COMMIT: what to
    send, as plain data (no row is held while sending). An outcome goes only while
    its sender may still be told, to where it is registered now (outcomes.still_to_tell).
    A notification whose receiver's circuit is open is put back until it may be tried
    (circuits.py)."""
    from spoa.notifications.outcomes import still_to_tell

    at = now()
    stmt = (select(Notification).where(_due_clause(at))
            .options(selectinload(Notification.effect).selectinload(ClockEffect.clock),
                     selectinload(Notification.user))
            .order_by(*PRIORITY).limit(limit))
    batch = []
    for n in db.session.scalars(skip_locked(stmt, db.session, of=Notification)).all():
        if n.audit_event_id is not None and (why := still_to_tell(n)) is not None:
            n.status, n.next_attempt_at, n.last_error = "cancelled", None, why
            log.info("outcome not sent notification_id=%s channel=%s: %s", n.id, n.channel, why)
        else:
            batch.append(n)  # its target as registered now: the circuit is the new address's
    until = at + LEASE
    origins = {n.id: circuits.origin(n.channel, n.target) for n in batch}
    # A trial's answer comes within one send's deadline: the others of its host wait that long.
    gate = circuits.Gate(set(origins.values()), at, timedelta(seconds=2 * _timeout() + 1))
    claimed = []
    for n in batch:
        held = gate.held_until(origins[n.id])
        if held is not None:
            n.status, n.next_attempt_at = "pending", held
            continue
        n.status, n.next_attempt_at = "sending", until
        claimed.append({"id": n.id, "channel": n.channel, "target": n.target, "lease": until,
                        "origin": origins[n.id], "payload": _payload(n), "subject": n.subject,
                        **(_signing_secret(n) if n.channel == "sender_webhook" else {}),
                        **(_original_message(n) if n.channel == "bars" else {})})
    db.session.commit()
    return claimed


def _timeout() -> float:
    return float(current_app.config["DELIVERY_TIMEOUT_SECONDS"])


def _still_ours(claimed: dict):
    """The row, if this pass's claim on it stands (not reclaimed after the lease)."""
    n = db.session.get(Notification, claimed["id"], with_for_update=is_postgresql(db.session))
    if n is None or n.status != "sending" or n.next_attempt_at != claimed["lease"]:
        db.session.rollback()
        return None
    return n


def _record(claimed: dict, error: str | None, receivers_fault: bool = True) -> None:
    """One attempt, in its own short transaction, after the network is done; and
    its receiver's circuit, unless nothing was sent to it."""
    n = _still_ours(claimed)
    if n is None:
        return
    with bound(referral_id=n.referral_id):
        at = now()
        if receivers_fault or error is None:
            circuits.record(claimed["origin"], error, at)
        _record_attempt(n, error, at)


def _record_attempt(n: Notification, error: str | None, at) -> None:
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
    from spoa.models import Referral
    from spoa.notifications.notifying import alert

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


_UNTRIED = object()


def _attempt(send, ends: float):
    """In a sending thread: the network only (no database, no app). None when delivered."""
    if time.monotonic() >= ends:
        return _UNTRIED  # the pass's budget is spent: given back, for the next pass
    try:
        send()
    except JobTimeoutException:
        raise  # RQ ending the job is not the receiver's failure (and sends have their own deadline)
    except Exception as exc:  # any failure of the far end is retried, never fatal
        return f"{type(exc).__name__}: {exc}"[:500]
    return None


def deliver_due(limit: int = BATCH, budget_seconds: float | None = None) -> int:
    """One delivery pass: claim (commit), send up to DELIVERY_CONCURRENCY at once
    (threads that hold no database session, each send under its own deadline),
    record each attempt as it ends, in this thread (commit). Sends not begun
    within the budget are given back. Returns the number of attempts made. Never
    call it inside a transaction that holds anything: it commits."""
    cfg = current_app.config
    if budget_seconds is None:
        budget_seconds = float(cfg["DELIVERY_BUDGET_SECONDS"])
    db.session.commit()  # nothing of the caller's is held while the network is slow
    ends = time.monotonic() + budget_seconds
    claims = claim(limit)
    way = Way(_timeout(), outbound.current_policy(), (cfg["SMTP_FROM"], cfg["SMTP_HOST"], int(cfg["SMTP_PORT"])))
    ready, done = [], 0
    for claimed in claims:
        try:
            ready.append((claimed, SENDERS[claimed["channel"]](claimed, way)))
        except NotSent as exc:
            _record(claimed, f"NotSent: {exc}"[:500], receivers_fault=False)
            done += 1
    if not ready:
        return done
    untried = []
    with ThreadPoolExecutor(max_workers=min(int(cfg["DELIVERY_CONCURRENCY"]), len(ready)),
                            thread_name_prefix="spoa-send") as pool:
        sending = {pool.submit(_attempt, send, ends): claimed for claimed, send in ready}
        for finished in as_completed(sending):
            error = finished.result()
            if error is _UNTRIED:
                untried.append(sending[finished])
                continue
            _record(sending[finished], error)
            done += 1
    if untried:
        _release(untried)
        log.warning("delivery pass out of time: %s notifications released", len(untried))
    return done
