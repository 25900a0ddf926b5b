"""The reconciler: the database is the truth about what is due.

Each pass takes the clocks whose next threshold has passed (FOR UPDATE SKIP
LOCKED on PostgreSQL, so concurrent workers share them without waiting) and
advances each. It is the one way a clock is chased: a pass runs every second
(RECONCILE_EVERY_SECONDS), so nothing is scheduled in Redis, and whatever Redis
forgets (a flush, a restart, a killed worker) loses no threshold.
"""
import logging

from sqlalchemy.exc import DBAPIError

from spoa.clocks import now
from spoa.extensions import db
from spoa.services import due_clocks
from spoa.services.actions import is_concurrent_change
from spoa.services.chasing import advance

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
