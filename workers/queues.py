"""Every RQ Queue and Worker is made here, with the JSON serializer: a job is a
function name and JSON arguments, never a pickle (whoever can write to Redis
must not be able to run code in a worker)."""
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

SERIALIZER = JSONSerializer
QUEUE = "spoa"
# Listened to first: in a burst of due clocks, one reconcile pass does them all
# in batches, faster than their individual chase jobs queued ahead of it.
RECONCILE_QUEUE = "spoa-reconcile"
# Email and webhooks: slow far ends wait here, on a worker of their own, never
# in front of a reconcile or a chase.
DELIVERY_QUEUE = "spoa-delivery"


def queue(name: str, connection) -> Queue:
    return Queue(name, connection=connection, serializer=SERIALIZER)


def status_of(connection, job_id: str):
    """A job's status, or None if there is no such job."""
    try:
        return Job.fetch(job_id, connection=connection, serializer=SERIALIZER).get_status(refresh=False)
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
