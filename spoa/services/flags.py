"""Flags from the policy (rules/policy/flags.yaml), raised once a route is set:
what a referral is waiting for, e.g. a bed. A flag never changes the route.

Raising one sets ``referral.waiting_for``, puts a ``flag`` event on the
timeline (through the state machine, an internal transition) and, when the
flag says so, alerts the SPOA supervisor: a notification with no clock behind
it, through the same channels and outbox as a clock's (notifying.alert). A
referral already waiting for the same thing is not flagged or alerted again.
The flag is cleared when the service accepts the referral (actions.py), when
its route changes to one where the flag no longer holds (here), and when the
referral closes (events.py).
"""
from sqlalchemy import select

from spoa.domain.actor import Actor
from spoa.domain.lifecycle import CLOSED_STATES
from spoa.domain.policy import current_policy
from spoa.extensions import db
from spoa.models import Service
from spoa.notifications import notifying
from spoa.platform.timekeeping import now
from spoa.services import capacity
from spoa.services.events import record_event

# Who each flags.yaml alert tells (an addressee, notifications/addressing.py).
RECIPIENTS = {"supervisor": "spoa_supervisor"}


def labels(policy) -> dict[str, str]:
    """What each flag a referral may wait for is called on a page: its flags.yaml label,
    e.g. bed -> Waiting for bed (read once a render: the queue shows thousands of rows)."""
    return {f.flag: f.label for f in policy.flags}


def label(policy, waiting_for: str) -> str:
    """A referral's waiting flag as staff see it; one no longer in flags.yaml still shows."""
    return labels(policy).get(waiting_for) or f"Waiting for {waiting_for.replace('_', ' ')}"


def capacity_free(route: str | None) -> int | None:
    """The routed service's free places today; None when it has not declared any
    (or is not a service): never read as zero (see rules/facts.py, FLAG_FACT_TYPES)."""
    if route not in current_policy().services:
        return None
    service = db.session.scalar(select(Service).where(Service.code == route, Service.is_active))
    return capacity.declared_today(service, capacity.today()) if service is not None else None


def apply(referral, actor: Actor, facts: dict) -> str | None:
    """Raise the first flag that holds for the referral's route now, or clear one
    that no longer holds. Returns the flag raised, if any was."""
    if referral.state in CLOSED_STATES or not referral.route:
        return None
    policy = current_policy()
    # The capacity query only when a flag's condition can need it on this route.
    free = capacity_free(referral.route) if policy.flags_read_capacity(referral.route) else None
    raised = policy.flags_for(facts, referral.route, free)
    if not raised:
        referral.waiting_for = None
        return None
    flag = raised[0]  # a referral waits for one thing at a time: the first that holds
    if referral.waiting_for == flag.flag:
        return None
    referral.waiting_for = flag.flag
    recipient = RECIPIENTS.get(flag.alert)
    record_event(referral, "flag", actor, reason=flag.explanation, detail={
        "flag": flag.flag, "flag_id": flag.id, "label": flag.label, "facts": flag.facts_used,
        "alert": recipient})
    if recipient:
        notifying.alert(referral, recipient, f"{referral.reference}: {flag.label}", flag.id, now())
    return flag.flag


def clear(referral) -> str | None:
    """The service has it (accepted): nothing to wait for any more. Returns what was cleared."""
    cleared, referral.waiting_for = referral.waiting_for, None
    return cleared
