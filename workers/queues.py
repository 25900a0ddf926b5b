"""Every RQ Queue and Worker is made with the JSON serializer and SpoaJob: a job
is a function's dotted name and JSON arguments, never a pickle, and a worker runs
only the functions marked ``@job`` (workers/jobs.py), by dotted name (JOBS).

What that stops: a job planted by whoever can write to Redis (another
application sharing it, a leaked REDIS_URL) naming any other function
(``os.system``, ``subprocess.run``), a method of its data, or success, failure or
stopped callbacks: the name is read, never imported; the job is failed unrun and
logged by name (never its arguments); the worker goes on. What it cannot stop:
such a writer can still call SPOA's own jobs with arguments of its choosing
(harmless by design: each takes ids and re-reads the database, doing nothing
that is not due), delete or flood the queues (chasing goes on without Redis,
from the database), or forge what the live queue and the rate limits read from
Redis. So Redis is still to be kept private: a password or ACL user, TLS, and no
other application on it (docs/security.md, "Redis and keys")."""
import logging

from rq import Queue
from rq.exceptions import DeserializationError, NoSuchJobError
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from workers.rq_adapter import callback_names

log = logging.getLogger(__name__)

SERIALIZER = JSONSerializer
QUEUE = "spoa"
# Listened to first: a reconcile pass (every clock's chasing) never waits behind
# the main queue's housekeeping (retention).
RECONCILE_QUEUE = "spoa-reconcile"
# Email and webhooks: slow far ends wait here, on a worker of their own, never
# in front of a reconcile.
DELIVERY_QUEUE = "spoa-delivery"
# A refused job's name is logged, cut to this length (it is whatever the writer chose).
NAME_SHOWN = 120


# The allow-list: the dotted names (as RQ stores them) of every function a worker may
# run, filled by @job as workers/jobs.py is imported (the worker imports it first).
JOBS: set[str] = set()


def job(func):
    """Put ``func`` on the allow-list of jobs (by the dotted name RQ records for it)."""
    JOBS.add(f"{func.__module__}.{func.__qualname__}")
    return func


class RefusedJob(Exception):
    """A job that is not one of SPOA's: nothing it names is imported or run."""


def refusal(job: Job) -> str | None:
    """Why ``job`` must not run, or None if it is one of ours. Reads only the
    names stored with it: imports nothing they name."""
    try:
        name, instance = job.func_name, job.instance
    except DeserializationError:
        return "its data is not a JSON job"
    if not isinstance(name, str) or name not in JOBS:
        return f"{str(name)[:NAME_SHOWN]!r} is not one of SPOA's jobs"
    if instance is not None:
        return f"{name} bound to an object"
    if any(callback_names(job)):
        return f"{name} with callbacks"
    return None


class SpoaJob(Job):
    """RQ's Job, refusing to resolve any function or callback that is not on the
    allow-list (RQ would import whatever dotted name the job carries)."""

    @classmethod
    def create(cls, *args, **kwargs):
        job = super().create(*args, **kwargs)
        if (why := refusal(job)) is not None:
            raise RefusedJob(why)  # enqueuing one would only have it failed in the worker
        return job

    @property
    def func(self):
        if (why := refusal(self)) is not None:
            raise RefusedJob(why)
        return super().func

    def _no_callback(self, name):
        if name:
            raise RefusedJob(f"job {self.id} names a callback")
        return None

    @property
    def success_callback(self):
        return self._no_callback(callback_names(self)[0])

    @property
    def failure_callback(self):
        return self._no_callback(callback_names(self)[1])

    @property
    def stopped_callback(self):
        return self._no_callback(callback_names(self)[2])

    def restore(self, raw_data):
        # A hash that is not a job RQ can read (a planted one, say) would raise out of
        # the worker's dequeue and end the worker: treated as no job at all instead.
        try:
            super().restore(raw_data)
        except NoSuchJobError:
            raise
        except Exception as exc:  # noqa: BLE001  (whatever the writer put there)
            log.warning("refused job %.120r: unreadable (%s)", self.id, type(exc).__name__)
            raise NoSuchJobError(f"unreadable job {self.id}") from None


def queue(name: str, connection) -> Queue:
    return Queue(name, connection=connection, serializer=SERIALIZER, job_class=SpoaJob)


def status_of(connection, job_id: str):
    """A job's status, or None if there is no such job."""
    try:
        return SpoaJob.fetch(job_id, connection=connection, serializer=SERIALIZER).get_status(refresh=False)
    except NoSuchJobError:
        return None


def enqueue_once(connection, name: str, func, job_id: str, **options) -> str:
    """Enqueue ``func`` under ``job_id`` unless that job is already waiting or
    running; the job's status either way. ``options``: RQ's (job_timeout...)."""
    status = status_of(connection, job_id)
    if status in (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED):
        return str(status)
    queue(name, connection).enqueue(func, job_id=job_id, result_ttl=30, failure_ttl=3600, **options)
    return "queued"
