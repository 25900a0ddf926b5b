"""Jobs planted in Redis by whoever can write to it: a worker runs only SPOA's own
jobs (workers/jobs.py's allow-list), fails any other unrun, logs its name and never
its arguments, and goes on with the next job."""
import json
import zlib

import pytest
import redis as redis_lib
from rq.job import Callback, Job

from workers.jobs import JOBS, deliver
from workers.periodic import PERIODIC
from workers.queues import QUEUE, SERIALIZER, RefusedJob, queue
from workers.runner import InProcessWorker

from .conftest import assert_eventually


def plant(r, job_id: str, func: str, args: list, **fields) -> None:
    """As an attacker would: a job hash written by hand (RQ's JSON format) and its id pushed on the queue."""
    data = zlib.compress(json.dumps([func, None, args, {}]).encode())
    r.hset(f"rq:job:{job_id}", mapping={"data": data, "status": "queued", "origin": QUEUE,
                                        "description": f"{func}({args!r})", **fields})
    r.rpush(f"rq:queue:{QUEUE}", job_id)


def status(r, job_id: str) -> str:
    return Job.fetch(job_id, connection=r, serializer=SERIALIZER).get_status()


@pytest.mark.slow
def test_a_worker_fails_a_planted_os_system_job_unrun_and_runs_the_next(worker_factory, private_redis, tmp_path):
    marker = tmp_path / "pwned-by-planted-job"
    r = redis_lib.Redis.from_url(private_redis.url)
    worker_factory()
    plant(r, "planted", "os.system", [f"touch {marker}"])
    after = queue(QUEUE, r).enqueue(deliver, job_id="legitimate-after")  # nothing to send: nothing to do
    assert_eventually(lambda: status(r, after.id) == "finished", "the job behind the planted one never ran")

    assert not marker.exists()
    assert status(r, "planted") == "failed"
    assert "planted" in queue(QUEUE, r).failed_job_registry.get_job_ids()
    log = (tmp_path / "worker.log").read_text()
    refused = [line for line in log.splitlines() if "refused job" in line]
    assert len(refused) == 1 and "os.system" in refused[0] and "planted" in refused[0], log
    assert str(marker) not in log and "touch" not in log  # its arguments never logged


@pytest.fixture
def work(app, db, redis):
    """work(): a worker in this process runs the queue's jobs, then returns."""
    from spoa.extensions import db as database
    from workers.context import use_app

    use_app(app)

    def run():
        database.session.remove()  # the test's session holds no lock while jobs run in their own (SQLite)
        InProcessWorker([QUEUE], connection=redis, serializer=SERIALIZER).work(burst=True)

    return run


def test_a_planted_job_naming_one_of_ours_with_a_callback_is_refused(work, redis, capsys):
    """RQ imports callbacks by name as it imports the function: a real job with a
    success callback of the writer's choosing (print, to see it) is not run at all."""
    plant(redis, "with-callback", "workers.jobs.deliver", [], success_callback_name="builtins.print")
    work()
    assert status(redis, "with-callback") == "failed"
    assert "<Job with-callback" not in capsys.readouterr().out  # print(job, connection, result) never ran


def test_an_unreadable_job_hash_does_not_stop_the_worker(work, redis):
    """RQ reads a job's hash as it dequeues it; one it cannot read would otherwise end the worker."""
    plant(redis, "garbled", "workers.jobs.deliver", [], created_at="not a date")
    plant(redis, "not-json", "workers.jobs.deliver", [])
    redis.hset("rq:job:not-json", "data", zlib.compress(b"\x80\x04 a pickle, say"))
    after = queue(QUEUE, redis).enqueue(deliver, job_id="after-garbled")
    work()
    assert status(redis, after.id) == "finished"
    assert status(redis, "not-json") == "failed"


def test_only_jobs_on_the_list_can_be_enqueued(app, redis):
    with pytest.raises(RefusedJob):
        queue(QUEUE, redis).enqueue("os.system", "id")
    with pytest.raises(RefusedJob):
        queue(QUEUE, redis).enqueue(deliver, on_success=Callback(print))
    assert redis.llen(f"rq:queue:{QUEUE}") == 0


def test_every_job_the_workers_enqueue_by_name_is_on_the_list():
    assert {p.func for p in PERIODIC} <= JOBS


def test_the_list_is_the_jobs_the_workers_run():
    # Chasing is the reconciler's alone: no job chases a single clock.
    assert JOBS == {f"workers.jobs.{name}" for name in ("deliver", "reconcile", "sweep_delays", "prune")}
