"""RQ jobs: small functions taking ids. Each opens its own app context, re-reads
the database and does nothing if the work is done, so any job is safe to run
twice, late, or after its worker was killed."""
import logging
from datetime import timedelta

from .context import job_app

log = logging.getLogger(__name__)
QUEUE = "spoa"
# Listened to first: in a burst of due clocks, one reconcile pass does them all
# in batches, faster than their individual chase jobs queued ahead of it.
RECONCILE_QUEUE = "spoa-reconcile"


def chase_clock(clock_id: int) -> int:
    """Warn, breach or escalate one clock at its due instant."""
    from .reconciler import advance_one

    with job_app().app_context():
        return advance_one(clock_id)


def reconcile() -> dict:
    """Advance every due clock, schedule the next minute's chases, deliver notifications."""
    from spoa.services.delivery import deliver_due

    from . import scheduling
    from .reconciler import advance_due, upcoming

    app = job_app()
    with app.app_context():
        advanced = advance_due()
        ahead = upcoming(timedelta(seconds=app.config["SCHEDULE_AHEAD_SECONDS"]))
        scheduled = scheduling.schedule_chases(ahead)
        delivered = deliver_due()
    if advanced or delivered:
        log.info("reconcile advanced=%s scheduled=%s delivered=%s", advanced, scheduled, delivered)
    return {"advanced": advanced, "scheduled": scheduled, "delivered": delivered}
