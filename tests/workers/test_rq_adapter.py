"""What SPOA assumes of RQ beyond its documented API (workers/rq_adapter.py), pinned here
on a real Redis: work() installs its signal handlers through the worker's own hook (a
worker in a thread installs none), a worker asked to stop without a signal ends its
loop after the job in hand, and a job's callbacks are read by their stored names."""
import threading
import time
import uuid

import pytest
import redis as redis_lib
from rq import Queue
from rq.job import Callback, Job, JobStatus
from rq.timeouts import TimerDeathPenalty

from workers.rq_adapter import Worker, callback_names

WAIT_SECONDS = 10.0


class ThreadWorker(Worker):
    """A worker for a thread, as the delivery workers are (workers/runner.py)."""

    death_penalty_class = TimerDeathPenalty  # SIGALRM works only in the main thread

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.hooked = 0

    def install_signal_handlers(self):
        self.hooked += 1  # RQ's own would call signal.signal, which a thread may not


@pytest.fixture
def work_queue(redis_url):
    connection = redis_lib.Redis.from_url(redis_url)
    q = Queue(f"rq-adapter-{uuid.uuid4().hex}", connection=connection)
    yield q
    q.delete(delete_jobs=True)


def in_a_thread(worker) -> tuple[threading.Thread, list]:
    failures = []

    def run():
        try:
            worker.work(burst=True, logging_level="WARNING")
        except BaseException as exc:  # noqa: BLE001  (reported to the test)
            failures.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, failures


def wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"not {what} after {WAIT_SECONDS:.0f} s"
        time.sleep(0.02)


def test_work_installs_the_signal_handlers_through_the_workers_hook(work_queue):
    worker = ThreadWorker([work_queue], connection=work_queue.connection)
    thread, failures = in_a_thread(worker)
    thread.join(WAIT_SECONDS)
    assert not thread.is_alive() and failures == []
    assert worker.hooked == 1


def test_a_worker_asked_to_stop_finishes_the_job_in_hand_and_takes_no_other(work_queue):
    in_hand = work_queue.enqueue(time.sleep, 0.5)
    next_one = work_queue.enqueue(time.sleep, 0)
    worker = ThreadWorker([work_queue], connection=work_queue.connection)
    thread, failures = in_a_thread(worker)
    wait_for(lambda: in_hand.get_status(refresh=True) == JobStatus.STARTED, "started")
    worker.stop_after_job()
    thread.join(WAIT_SECONDS)
    assert not thread.is_alive() and failures == []
    assert in_hand.get_status(refresh=True) == JobStatus.FINISHED
    assert next_one.get_status(refresh=True) == JobStatus.QUEUED  # a burst worker not asked would have run it


def test_a_jobs_callbacks_are_read_by_their_stored_names(work_queue):
    job = work_queue.enqueue(time.sleep, 0, on_failure=Callback("os.system"), on_stopped=Callback("os.abort"))
    stored = Job.fetch(job.id, connection=work_queue.connection)
    assert callback_names(stored) == (None, "os.system", "os.abort")
    assert callback_names(work_queue.enqueue(time.sleep, 0)) == (None, None, None)
