"""Retention (spoa/services/retention.py): what is past its period goes, a batch a
transaction; what is recent, open, or still needed for an outcome stays; a
second run removes nothing; what was removed is counted, never named."""
import logging
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from spoa.models import AccessEvent, AuditEvent, DeliveryAttempt, FhirMessage, Notification
from spoa.services.retention import prune
from tests.support.data.report_page_data import referral

pytestmark = pytest.mark.both_databases

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.fixture(autouse=True)
def now_frozen(frozen_now):
    frozen_now(NOW)


def _fhir(db, state: str, last_event_days_ago: int, *, pending_outcome=False) -> FhirMessage:
    """A BaRS referral in ``state`` whose last recorded event was that many days ago."""
    at = NOW - last_event_days_ago * DAY
    row = referral(at - DAY, state=state, channel="fhir", updated_at=at)
    row.history.append(AuditEvent(at=at, actor_kind="user", actor_name="Colin", event="complete",
                                  from_state="in_progress", to_state=state))
    message = FhirMessage(referral=row, request_id=str(uuid.uuid4()), correlation_id=str(uuid.uuid4()),
                          event="servicerequest-request", content_type="application/fhir+json",
                          body=b'{"resourceType": "Bundle", "patient": "Zebedee Quargleton"}', received_at=at - DAY)
    db.session.add(message)
    if pending_outcome:
        db.session.flush()
        db.session.add(Notification(referral_id=row.id, recipient="sender", channel="bars", subject="outcome",
                                    alert="test-outcome", status="pending", created_at=at, next_attempt_at=at))
    return message


def _notification(db, status: str, days_ago: int) -> Notification:
    row = referral(NOW - (days_ago + 1) * DAY)
    at = NOW - days_ago * DAY
    db.session.flush()
    n = Notification(referral_id=row.id, recipient="spoa_supervisor", channel="email", target="s@example.nhs.uk",
                     subject=f"{row.reference}: alert", alert="test-alert", status=status, created_at=at,
                     delivered_at=at if status == "delivered" else None, attempts=1)
    db.session.add(n)
    db.session.flush()
    db.session.add(DeliveryAttempt(notification_id=n.id, at=at, ok=status == "delivered"))
    return n


def _viewed(db, days_ago: int) -> AccessEvent:
    row = referral(NOW - (days_ago + 1) * DAY)
    db.session.flush()
    event = AccessEvent(referral_id=row.id, actor_name="Colin", via="page", at=NOW - days_ago * DAY)
    db.session.add(event)
    return event


def test_raw_bodies_go_90_days_after_closing_and_never_while_needed(db, app):
    assert app.config["RETAIN_FHIR_BODY_DAYS"] == 90
    old_closed = [_fhir(db, "completed", 91), _fhir(db, "cancelled", 400), _fhir(db, "redirected", 95)]
    recently_closed = _fhir(db, "completed", 89)
    old_open = _fhir(db, "in_progress", 200)  # open: its outcomes are still to come
    outcome_waiting = _fhir(db, "withdrawn", 120, pending_outcome=True)
    db.session.commit()
    ids = {m.id: m for m in db.session.query(FhirMessage)}

    counts = prune(batch=2)  # two a transaction: the loop goes round
    assert counts["fhir_bodies"] == 3
    db.session.expire_all()
    bodies = {m.id: m.body for m in db.session.query(FhirMessage)}
    assert set(bodies) == set(ids)  # every message's row stays (its ids de-duplicate a late retry)
    assert [bodies[m.id] for m in old_closed] == [b""] * 3
    for kept in (recently_closed, old_open, outcome_waiting):
        assert bodies[kept.id].startswith(b'{"resourceType"')


def test_access_events_and_delivered_notifications_go_after_their_periods(db, app):
    access_days, notification_days = app.config["RETAIN_ACCESS_EVENTS_DAYS"], app.config[
        "RETAIN_DELIVERED_NOTIFICATIONS_DAYS"]
    old_view, recent_view = _viewed(db, access_days + 1), _viewed(db, access_days - 1)
    old_delivered = _notification(db, "delivered", notification_days + 1)
    recent_delivered = _notification(db, "delivered", notification_days - 1)
    old_failed = _notification(db, "failed", notification_days + 30)  # kept: nobody was told
    old_pending = _notification(db, "pending", notification_days + 30)
    db.session.commit()
    old_view_id, recent_view_id = old_view.id, recent_view.id
    kept = {recent_delivered.id, old_failed.id, old_pending.id}
    gone = old_delivered.id

    assert prune() == {"fhir_bodies": 0, "access_events": 1, "delivered_notifications": 1}
    db.session.expire_all()
    assert [e.id for e in db.session.query(AccessEvent)] == [recent_view_id]
    assert db.session.get(AccessEvent, old_view_id) is None
    assert {n.id for n in db.session.query(Notification)} == kept
    assert {a.notification_id for a in db.session.query(DeliveryAttempt)} == kept  # its attempts went with it
    assert db.session.get(Notification, gone) is None


def test_a_second_run_removes_nothing_and_each_run_is_counted_once_without_names(db, caplog):
    _fhir(db, "completed", 100)
    _viewed(db, 4000)
    db.session.commit()
    with caplog.at_level(logging.INFO, logger="spoa.services.retention"):
        assert prune() == {"fhir_bodies": 1, "access_events": 1, "delivered_notifications": 0}
        assert prune() == {"fhir_bodies": 0, "access_events": 0, "delivered_notifications": 0}
    [event] = db.session.query(AuditEvent).filter_by(event="retention_pruned").all()
    assert (event.actor_kind, event.referral_id, event.detail) == (
        "system", None, {"fhir_bodies": 1, "access_events": 1, "delivered_notifications": 0})
    logged = [r.getMessage() for r in caplog.records if r.name == "spoa.services.retention"]
    assert logged == ["retention pruned fhir_bodies=1 access_events=1 delivered_notifications=0"]
    assert "Zebedee" not in caplog.text and "SPX" not in caplog.text


def test_the_periods_are_settings(db, app):
    _viewed(db, 40)
    db.session.commit()
    before = app.config["RETAIN_ACCESS_EVENTS_DAYS"]
    app.config["RETAIN_ACCESS_EVENTS_DAYS"] = 30
    try:
        assert prune()["access_events"] == 1
    finally:
        app.config["RETAIN_ACCESS_EVENTS_DAYS"] = before


def test_the_workers_prune_as_a_periodic_job_through_redis(app, db, redis):
    from workers.context import use_app
    from workers.periodic import PERIODIC
    from workers.queues import queue
    from workers.runner import run_worker

    prune_job = next(p for p in PERIODIC if p.id == "prune")
    assert (prune_job.func, app.config[prune_job.every]) == ("workers.jobs.prune", 3600)
    _viewed(db, 4000)
    db.session.commit()
    queue(prune_job.queue, redis).enqueue(prune_job.func, job_id="prune-test")
    db.session.remove()
    use_app(app)
    run_worker(app, burst=True)
    assert db.session.query(AccessEvent).count() == 0


def test_operators_prune_from_the_command_line(app, db):
    _fhir(db, "completed", 100)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["spoa", "prune"])
    assert result.exit_code == 0, result.output
    assert result.output == "Pruned: 1 fhir bodies, 0 access events, 0 delivered notifications.\n"


@pytest.mark.parametrize("value", ["0", "-5", "ninety", ""])
def test_a_period_that_is_not_a_number_of_days_is_refused_at_start(value):
    from spoa.config import Config

    with pytest.raises(ValueError, match="RETAIN_FHIR_BODY_DAYS must be a whole number of days"):
        Config({"SECRET_KEY": "x" * 32, "RETAIN_FHIR_BODY_DAYS": value})
