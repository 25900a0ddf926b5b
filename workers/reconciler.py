"""The reconciler: the database is the truth about what is due.

Each pass takes the clocks whose next threshold has passed (FOR UPDATE SKIP
LOCKED on PostgreSQL, so concurrent workers share them without waiting) and
advances each; then it schedules RQ jobs for thresholds about to fall due, with
stable job ids. Whatever Redis forgets (a flush, a restart, a killed worker),
the next pass finds in the database.
"""
import logging
from datetime import timedelta

from sqlalchemy.exc import DBAPIError

from spoa.extensions import db
from spoa.notifications.chasing import advance
from spoa.platform.timekeeping import now
from spoa.services import due_clocks
from spoa.services.actions import is_concurrent_change

log = logging.getLogger(__name__)
BATCH = 200


def advance_due(max_batches: int = 50) -> int:
    """Advance every clock due now, a committed batch at a time."""
    total = 0
    for _ in range(max_batches):
        at = now()
        try:
            clocks = due_clocks.claim_due(at, BATCH)
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
    at = now()
    clock = due_clocks.claim_if_due(clock_id, at)
    if clock is None:
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
    rows = due_clocks.falling_due(now(), horizon, limit)
    db.session.rollback()  # a read: hold no transaction while the chases are scheduled
    return rows
