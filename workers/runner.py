"""`flask spoa worker`: an RQ worker plus the ticker that drives the reconciler.

It survives Redis going away (backs off and reconnects; meanwhile the ticker
runs the reconciler itself, straight against the database) and stops cleanly
on SIGTERM or Ctrl-C (the job in hand finishes first).
"""
import faulthandler
import logging
import os
import signal
import threading
import time

import redis as redis_lib
from rq.exceptions import StopRequested
from rq.timeouts import TimerDeathPenalty

from spoa.platform.redis_store import get_redis
from spoa.platform.safe_log import log_unexpected
from workers import jobs  # noqa: F401  (importing the jobs puts them on the allow-list)
from workers.context import use_app
from workers.periodic import PERIODIC
from workers.queues import DELIVERY_QUEUE, QUEUE, RECONCILE_QUEUE, SERIALIZER, SpoaJob, queue, refusal
from workers.rq_adapter import Worker

log = logging.getLogger(__name__)
MAX_BACKOFF = 30.0
# How long a stop that landed in logging's own code waits to be delivered again.
REDELIVER_AFTER_SECONDS = 0.1


def lands_in_logging(frame) -> bool:
    """Whether a signal interrupted logging's own code. RQ stops a worker by raising
    StopRequested from the signal handler; raised inside logging's at-fork hook (as RQ
    forks its scheduler) the exception is swallowed ("Exception ignored in
    _releaseLock") with logging's lock still held, and the worker hangs for ever. A
    stop landing there is delivered again a moment later, in ordinary code."""
    return frame is not None and frame.f_code.co_filename == logging.__file__


def stopping_safely(handler):
    """``handler`` as a signal handler that never raises inside logging (lands_in_logging)."""
    def on_signal(signum, frame):
        if lands_in_logging(frame):
            threading.Timer(REDELIVER_AFTER_SECONDS, os.kill, (os.getpid(), signum)).start()
            return
        handler(signum, frame)
    return on_signal


class InProcessWorker(Worker):
    """SimpleWorker runs jobs in this process, so the app, its policy and its
    connection pools are made once, not once a job. RQ's SimpleWorker then
    treats this process as a work horse and ignores SIGTERM after the first
    job; we keep the worker's own handlers (warm shutdown: finish the job in hand).

    Jobs are SpoaJobs, and one not on the allow-list is failed here, before RQ
    would run it (and log its arguments with the error)."""

    job_class = SpoaJob

    def __init__(self, *args, **kwargs):
        # A job's description is its call with arguments, and whoever enqueued it wrote it.
        kwargs.setdefault("log_job_description", False)
        super().__init__(*args, **kwargs)

    def execute_job(self, job, queue):
        if (why := refusal(job)) is None:
            return super().execute_job(job, queue)
        log.warning("refused job %.120r: %s", job.id, why)
        job.retries_left = None  # failed for good, whatever retries it asked for
        queue.intermediate_queue.remove(job.id)  # RQ removes it as it starts a job; this one never starts
        self.handle_job_failure(job, queue, exc_string=f"refused: {why}")

    def setup_work_horse_signals(self):
        pass

    def install_signal_handlers(self):
        # RQ's own warm stop, which raises StopRequested: never inside logging (as RQ
        # forks its scheduler again during maintenance, say).
        for s in (signal.SIGINT, signal.SIGTERM):
            signal.signal(s, stopping_safely(self.request_stop))


class DeliveryWorker(InProcessWorker):
    """The delivery queue's own worker, a thread of `flask spoa worker`: a pass
    waiting on a dead endpoint's timeouts never stands in front of a reconcile
    (the main worker's queues). Signals belong to the main thread:
    run_worker stops this one when it stops."""

    death_penalty_class = TimerDeathPenalty  # SIGALRM works only in the main thread

    def install_signal_handlers(self):
        pass


def reconnecting(work, stop: threading.Event, who: str = "", restarting: str | None = None) -> None:
    """The worker's one reconnect loop: call ``work`` (a worker's work()) until it returns
    or ``stop`` is set. RQ raises when it cannot reach Redis: then wait and call it again,
    each wait twice the last (from 1 s up to MAX_BACKOFF), ``who`` naming the worker in the
    log line. ``restarting``: any other error is logged as that, and ``work`` called again
    after the same wait (a thread that must come back); without it, such an error propagates."""
    backoff = 1.0
    while not stop.is_set():
        try:
            work()
            return
        except redis_lib.RedisError as exc:
            log.warning("%sredis unavailable (%s); retrying in %.0f s", who, type(exc).__name__, backoff)
            stop.wait(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)
        except Exception as exc:  # noqa: BLE001  (raised again unless the caller must come back)
            if restarting is None:
                raise
            log_unexpected(exc, restarting)
            stop.wait(backoff)


def _deliveries(app, stop: threading.Event, active: dict, key: str = "delivery") -> None:
    def work():
        with app.app_context():
            worker = active[key] = DeliveryWorker([DELIVERY_QUEUE], connection=get_redis(), serializer=SERIALIZER)
            worker.work(with_scheduler=False, logging_level="WARNING")

    reconnecting(work, stop, "delivery worker: ", restarting="the delivery worker (restarting)")


def _delivery_workers(active: dict) -> list:
    return [worker for key, worker in list(active.items()) if key.startswith("delivery") and worker is not None]


def _tick(app, periodic, stop: threading.Event) -> None:
    """Once a period: claim it cluster-wide and enqueue; with Redis down, run it here."""
    from importlib import import_module

    module, name = periodic.func.rsplit(".", 1)
    func = getattr(import_module(module), name)
    every = app.config[periodic.every]
    while not stop.wait(every):
        period = int(time.time() // every)
        try:
            with app.app_context():
                r = get_redis()
                if r.set(f"spoa:periodic:{periodic.id}:{period}", "1", nx=True, ex=max(60, every * 5)):
                    queue(periodic.queue, r).enqueue(func, job_id=f"{periodic.id}-{period}",
                                                       result_ttl=30, failure_ttl=3600)
        except redis_lib.RedisError:
            try:
                func()  # the database is the truth: chase without Redis
            except Exception as exc:  # noqa: BLE001  (the ticker goes on)
                log_unexpected(exc, f"periodic {periodic.id}")


def run_worker(app, burst: bool = False) -> None:
    use_app(app)
    # `kill -USR1 <pid>` prints every thread's stack: what a stuck worker is waiting on.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    stop = threading.Event()
    previous = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}

    active = {}

    def _stop(signum, frame):
        log.info("worker stopping (signal %s)", signum)
        stop.set()
        # RQ registers the worker before it installs its own handlers: a signal in
        # between lands here, and RQ must still be told, or it waits for jobs forever.
        if active.get("worker") is not None:
            active["worker"].request_stop(signum, frame)
        for worker in _delivery_workers(active):
            worker.stop_after_job()  # finishes the pass in hand (its budget bounds it)

    tickers = [threading.Thread(target=_tick, args=(app, p, stop), daemon=True, name=f"tick-{p.id}")
               for p in PERIODIC]
    # As many as passes may run at once (DELIVERY_PASSES): a pass waiting on slow far ends
    # never stands in front of the next, which takes what fell due meanwhile (a breach alert).
    deliveries = [threading.Thread(target=_deliveries, args=(app, stop, active, f"delivery-{i}"), daemon=True,
                                   name=f"spoa-delivery-worker-{i}") for i in range(app.config["DELIVERY_PASSES"])]
    if not burst:
        for t in tickers + deliveries:
            t.start()

    def work():
        for s in previous:  # ours again: RQ's stop puts its own in place
            signal.signal(s, stopping_safely(_stop))
        with app.app_context():
            worker = active["worker"] = InProcessWorker(
                [RECONCILE_QUEUE, QUEUE], connection=get_redis(), serializer=SERIALIZER)
            try:
                worker.work(burst=burst, with_scheduler=True, logging_level="WARNING")
            except StopRequested:  # asked to stop before RQ's own loop began
                pass
        # work() returns only when asked to stop (or, in burst mode, when done)

    try:
        reconnecting(work, stop)
    finally:
        stop.set()
        for worker in _delivery_workers(active):
            worker.stop_after_job()
        for thread in deliveries:
            if thread.is_alive():
                thread.join(2)  # daemon: a pass mid-send dies with the process (its lease frees it)
        for s, handler in previous.items():
            signal.signal(s, handler)
