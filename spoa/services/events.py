"""The one place a referral changes state: lifecycle event, audit row, clocks,
and the outcome its sender is told (notifications/outcomes.py)."""
from collections.abc import Callable

from spoa.domain import audit
from spoa.domain.actor import Actor
from spoa.domain.lifecycle import CLOSED_STATES, fire_event
from spoa.notifications import chasing, outcomes
from spoa.platform.timekeeping import now
from spoa.services import deadlines


def record_event(referral, event: str, actor: Actor, reason: str | None = None,
                 detail: dict | None = None, at=None, effect: Callable[[], dict | None] | None = None) -> None:
    """Fire ``event`` (raising LifecycleError if it may not happen) and write its
    audit event and clock effects into the caller's transaction. ``at``: when it
    happened, if earlier than now (the clocks it meets are met then, those it
    starts count from then); the audit row is stamped now, when it was recorded.
    ``effect``: what the event does to other rows, run once the lifecycle has let
    it happen and before its audit row is written; what it returns joins the row's
    detail (audit rows are append-only: written once, with all they say)."""
    before, after = fire_event(referral, event, actor, reason=reason)
    if effect is not None:
        detail = {**(detail or {}), **(effect() or {})}
    row = audit.record(actor, event, referral=referral, from_state=before, to_state=after, reason=reason,
                       detail=detail)
    outcomes.on_event(referral, row, actor.kind)  # the sender is told, if this is an outcome for them
    deadlines.on_event(referral, event, at=at)
    if event == "first_contact" and referral.first_contact_at is None:
        referral.first_contact_at = at or now()  # the first, when it happened (reports' time to first contact)
    if after in CLOSED_STATES:
        deadlines.cancel_all(referral)
        referral.waiting_for = None  # a closed referral waits for nothing (flags.py)
    chasing.catch_up_before_commit(referral)
