"""The reconciler: the database is the truth about what is due.

Each pass takes the clocks whose next threshold has passed (FOR UPDATE SKIP
LOCKED on PostgreSQL, so concurrent workers share them without waiting) and
advances each. It is the one way a clock is chased: a pass runs every second
(RECONCILE_EVERY_SECONDS), so nothing is scheduled in Redis, and whatever Redis
forgets (a flush, a restart, a killed worker) loses no threshold.

A pushed call's clock that falls due untaken gives the call back to the ambulance
service (services/push_returns.py): after its batch commits, one unit of work a
call, through the lifecycle like any event.
"""
import logging
from functools import partial

from spoa.extensions import db
from spoa.notifications.chasing import advance, return_due
from spoa.platform.database import commit_unless_raced
from spoa.platform.timekeeping import now
from spoa.services import due_clocks, push_returns

log = logging.getLogger(__name__)
BATCH = 200


def advance_due(max_batches: int = 50) -> int:
    """Advance every clock due now, a committed batch at a time."""
    total = 0
    for _ in range(max_batches):
        at, clocks, returning = now(), [], []
        raced = commit_unless_raced(db.session, partial(_advance_batch, at, clocks, returning))
        if raced is not None:
            # A person's event recorded one of these thresholds in the same
            # instant (or a lock wait gave up): nothing of this batch was kept;
            # the next pass, a second from now, does it on the fresh rows.
            log.info("reconcile batch raced an event (%s); the next pass retries", type(raced.orig).__name__)
            break
        total += len(clocks)
        for referral_id in returning:
            push_returns.return_untaken(referral_id)
        if len(clocks) < BATCH:
            break
    return total


def _advance_batch(at, clocks: list, returning: list) -> None:
    """Claim up to BATCH clocks due at ``at`` (into ``clocks``) and advance each; the
    referrals whose call goes back now into ``returning``."""
    clocks.extend(due_clocks.claim_due(at, BATCH))
    for clock in clocks:
        if return_due(clock, at):
            returning.append(clock.referral_id)
        advance(clock, at)
