"""The reconciler: the database is the truth about what is due.

Each pass takes the clocks whose next threshold has passed (FOR UPDATE SKIP
LOCKED on PostgreSQL, so concurrent workers share them without waiting) and
advances each; then it schedules RQ jobs for thresholds about to fall due, with
stable job ids. Whatever Redis forgets (a flush, a restart, a killed worker),
the next pass finds in the database.
"""
import logging
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import selectinload

from spoa.clocks import now
from spoa.database import is_postgresql
from spoa.extensions import db
from spoa.models import Clock
from spoa.services.actions import is_concurrent_change
from spoa.services.chasing import advance

log = logging.getLogger(__name__)
BATCH = 200


def _due(at, limit):
    # Each due clock needs its effects and referral: load them with the batch,
    # not one lazy query per clock.
    stmt = (select(Clock).where(Clock.next_due_at.is_not(None), Clock.next_due_at <= at)
            .options(selectinload(Clock.effects), selectinload(Clock.referral))
            .order_by(Clock.next_due_at).limit(limit))
    if is_postgresql(db.session):
        stmt = stmt.with_for_update(skip_locked=True, of=Clock)
    return db.session.scalars(stmt).all()


def advance_due(max_batches: int = 50) -> int:
    """Advance every clock due now, a committed batch at a time."""
    total = 0
    for _ in range(max_batches):
        at = now()
        try:
            clocks = _due(at, BATCH)
            for clock in clocks:
                advance(clock, at)
            db.session.commit()
        except DBAPIError as exc:
            # A person's event recorded one of these thresholds in the same
            # instant (or a lock wait gave up): nothing of this batch was kept;
            # the next pass, a second from now, does it on the fresh rows.
            db.session.rollback()
            if not is_concurrent_change(exc):
                raise
            log.info("reconcile batch raced an event (%s); the next pass retries", type(exc.orig).__name__)
            break
        total += len(clocks)
        if len(clocks) < BATCH:
            break
    return total


def advance_one(clock_id: int) -> int:
    """The scheduled chase of one clock: a no-op if another worker has it, or if
    it is not due (met, cancelled, already advanced)."""
    stmt = select(Clock).where(Clock.id == clock_id)
    if is_postgresql(db.session):
        stmt = stmt.with_for_update(skip_locked=True)
    clock = db.session.scalars(stmt).first()
    at = now()
    if clock is None or clock.next_due_at is None or clock.next_due_at > at:
        db.session.rollback()
        return 0
    try:
        effects = advance(clock, at)
        db.session.commit()
    except DBAPIError as exc:
        db.session.rollback()
        if not is_concurrent_change(exc):
            raise
        return 0  # raced an event; the reconciler's next pass has it
    return len(effects)


def upcoming(horizon: timedelta, limit: int = 5000) -> list[tuple[int, object]]:
    """(clock id, due instant) for thresholds falling due within ``horizon``."""
    at = now()
    rows = db.session.execute(
        select(Clock.id, Clock.next_due_at)
        .where(Clock.next_due_at.is_not(None), Clock.next_due_at > at, Clock.next_due_at <= at + horizon)
        .order_by(Clock.next_due_at).limit(limit)).all()
    db.session.rollback()
    return [(r[0], r[1]) for r in rows]


def oldest_due():
    """The oldest threshold that is due but not yet processed (the chase lag)."""
    return db.session.scalar(select(Clock.next_due_at).where(
        Clock.next_due_at.is_not(None), Clock.next_due_at <= now()).order_by(Clock.next_due_at).limit(1))
