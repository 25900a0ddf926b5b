"""Periodic work, as data with stable ids (redash's tasks/schedule.py pattern).

One job per period across the whole county: each worker's ticker tries to
claim the period's id in Redis (SET NX) and only the winner enqueues, so ten
machines do not run ten reconcilers a second.
"""
from dataclasses import dataclass

from workers.queues import QUEUE, RECONCILE_QUEUE


@dataclass(frozen=True)
class Periodic:
    id: str
    func: str        # dotted path: RQ imports it in the worker that runs it
    every: str       # config key holding the period in seconds
    queue: str


PERIODIC = (
    Periodic("reconcile", "workers.jobs.reconcile", "RECONCILE_EVERY_SECONDS", RECONCILE_QUEUE),
    # Delayed days' daily alert (discharge.yaml's delay_alert_at): a minute late at most.
    Periodic("delay-sweep", "workers.jobs.sweep_delays", "DELAY_SWEEP_EVERY_SECONDS", RECONCILE_QUEUE),
    # Retention (spoa/services/retention.py): on the main queue, behind clocks, never before them.
    Periodic("prune", "workers.jobs.prune", "PRUNE_EVERY_SECONDS", QUEUE),
)
