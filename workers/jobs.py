"""RQ jobs: small functions taking ids. Each opens its own app context, re-reads
the database and does nothing if the work is done, so any job is safe to run
twice, late, or after its worker was killed.

Jobs cross Redis as JSON (rq.serializers.JSONSerializer on every queue and
worker, workers/queues.py): a job is a function's dotted name and arguments
that are ids and ISO strings, never a pickle. A worker runs only the functions
marked ``@job`` here (queues.JOBS, checked by queues.SpoaJob before anything
a job names is imported): a job planted in Redis naming any other function is
failed unrun. A new job is one more ``@job`` function in this module."""
import logging
import threading

from workers.context import job_app
from workers.queues import (  # noqa: F401  (named from here too; JOBS is the allow-list @job fills below)
    DELIVERY_QUEUE,
    JOBS,
    QUEUE,
    RECONCILE_QUEUE,
    job,
)

log = logging.getLogger(__name__)
DELIVERY_JOB_ID = "deliver"
# Without Redis the reconciler delivers itself, in a thread (one at a time), with a short budget.
FALLBACK_BUDGET_SECONDS = 10.0
_fallback = threading.Lock()


def _in_job():
    """The RQ job in hand, on every log line it writes (none when run outside a
    worker: the command line's pass, the ticker's without Redis)."""
    from rq import get_current_job

    from spoa.platform.safe_log import bound

    job = get_current_job()
    return bound(job_id=job.id if job is not None else None)


@job
def deliver() -> int:
    """One delivery pass (claim, send outside any transaction, record each attempt)."""
    from spoa.notifications.delivery import deliver_due

    with _in_job(), job_app().app_context():
        return deliver_due()


@job
def reconcile(deliver_here: bool = False) -> dict:
    """Advance every due clock (the one chase path: each worker's ticker enqueues
    this once a second, county-wide), and ask for a delivery pass if anything is
    waiting to be sent (never sends itself: a slow far end must not hold up the
    next pass). ``deliver_here`` (a one-off pass from the command line): deliver
    in this process afterwards, outside the pass's transaction, and return when done."""
    from workers.reconciler import advance_due

    app = job_app()
    with _in_job(), app.app_context():
        advanced = advance_due()
        delivery = ensure_delivery(app, here=deliver_here)
        if advanced:
            log.info("reconcile advanced=%s delivery=%s", advanced, delivery)
    return {"advanced": advanced, "delivery": delivery}


@job
def sweep_delays(deliver_here: bool = False) -> dict:
    """The delayed-days sweep (spoa/services/delays.py): from the day's alert time,
    one supervisor alert per discharge past its DRD with no reason for today. The
    database makes each once, however many workers run it; then, as the reconciler
    does, a delivery pass if an alert waits to go by email or webhook."""
    from spoa.services.delays import sweep

    app = job_app()
    with _in_job(), app.app_context():
        alerted = sweep()
        delivery = ensure_delivery(app, here=deliver_here) if alerted or deliver_here else None
        if alerted:
            log.info("delay sweep alerted=%s delivery=%s", alerted, delivery)
    return {"alerted": alerted, "delivery": delivery}


@job
def prune() -> dict:
    """Retention (spoa/services/retention.py): remove what is past its period. Safe
    to run from every worker at once: each batch removes rows by id, and a row
    another worker removed first is simply not there."""
    from spoa.services.retention import prune as prune_now

    with _in_job(), job_app().app_context():
        return prune_now()


def ensure_delivery(app, *, here: bool = False) -> str | int | None:
    """The one way a pass asks for what waits to be sent to go: ``here`` (the command
    line's one-off pass), a delivery pass in this process now, returning how many it
    sent; otherwise, if anything is due, request_delivery (a pass queued for the
    delivery workers, or with Redis down one in a thread of this process), returning
    how it was asked; None when nothing is due. Every path runs deliver_due."""
    from spoa.notifications.delivery import any_due, deliver_due

    if here:
        return deliver_due()
    return request_delivery(app) if any_due() else None


def request_delivery(app) -> str:
    """Make sure a delivery pass is on its way: none is queued (one waiting takes
    everything due when it starts), so queue one under the first of DELIVERY_PASSES
    ids not already running. Several passes run at once on several workers, each
    claiming its own notifications. Fails open: with Redis down, a bounded pass in
    a thread of this process, outside the reconciler's transaction and its timing."""
    from spoa.platform.redis_store import optional

    cfg = app.config
    # RQ's own job timeout never ends a pass: its budget, then the sends begun by then, end it first.
    job_timeout = int(cfg["DELIVERY_BUDGET_SECONDS"] + 2 * cfg["DELIVERY_TIMEOUT_SECONDS"]) + 60
    if optional(lambda r: _queue_a_pass(r, int(cfg["DELIVERY_PASSES"]), job_timeout), default=None) is not None:
        return "queued"
    if not _fallback.acquire(blocking=False):
        return "running-here"
    threading.Thread(target=_deliver_here, args=(app,), daemon=True, name="spoa-delivery-fallback").start()
    return "started-here"


def delivery_job_ids(passes: int) -> list[str]:
    return [DELIVERY_JOB_ID] + [f"{DELIVERY_JOB_ID}-{i}" for i in range(1, passes)]


def _queue_a_pass(connection, passes: int, job_timeout: int) -> str:
    from rq.job import JobStatus

    from workers.queues import enqueue_once, status_of

    ids = delivery_job_ids(passes)
    statuses = {job_id: status_of(connection, job_id) for job_id in ids}
    if JobStatus.QUEUED in statuses.values():
        return "waiting"
    for job_id in ids:
        if statuses[job_id] not in (JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED):
            return enqueue_once(connection, DELIVERY_QUEUE, deliver, job_id, job_timeout=job_timeout)
    return "all-running"


def _deliver_here(app) -> None:
    from spoa.notifications.delivery import deliver_due

    try:
        with app.app_context():
            deliver_due(budget_seconds=FALLBACK_BUDGET_SECONDS)
    except Exception as exc:  # noqa: BLE001  (a thread of its own: nothing above it to tell)
        from spoa.platform.safe_log import log_unexpected

        log_unexpected(exc, "the delivery pass without Redis")
    finally:
        _fallback.release()
