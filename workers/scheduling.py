"""Putting chases into RQ at their instants, with stable job ids (so the same
threshold scheduled by many passes, or many machines, is one job)."""
from spoa.platform.redis_store import optional
from workers.queues import QUEUE
from workers.queues import queue as make_queue

# By name, as RQ stores it (JSON): the jobs module imports this one, not the reverse.
CHASE_CLOCK = "workers.jobs.chase_clock"


def chase_job_id(clock_id: int, due) -> str:
    return f"chase-{clock_id}-{int(due.timestamp() * 1000)}"


def schedule_chases(items) -> int:
    """Schedule chase_clock for each (clock id, due instant). Fails open: if Redis
    is down the reconciler's own passes still advance every clock."""
    def enqueue(redis):
        queue = make_queue(QUEUE, redis)
        existing = set(queue.scheduled_job_registry.get_job_ids())
        count = 0
        for clock_id, due in items:
            job_id = chase_job_id(clock_id, due)
            if job_id in existing:
                continue
            queue.enqueue_at(due, CHASE_CLOCK, clock_id, job_id=job_id, result_ttl=60, failure_ttl=3600)
            count += 1
        return count

    return optional(enqueue, default=0) if items else 0
