"""Clock rows: started from the policy's targets, met by lifecycle events,
kept, recomputed or cancelled when a referral is re-routed.

The arithmetic (24/7 and working hours) is spoa.clocks; what each route's
targets are is rules/policy/clocks.yaml.
"""
from ..clocks import add_duration, now
from ..models import Clock
from ..policy import current_policy, current_working_hours
from . import chasing

# Which lifecycle event sets the anchor a later clock counts from.
ANCHOR_OF_EVENT = {"first_contact": "first_contact", "start_episode": "start"}


def _deadline(target, start):
    return add_duration(start, target.duration, target.counts, current_working_hours())


def _new_clock(referral, target, start) -> Clock:
    clock = Clock(
        name=target.name, counts=target.counts, met_by=list(target.met_by),
        started_at=start, deadline=_deadline(target, start), status="running",
        effects=[],  # known empty: answering for a new clock costs no query
    )
    referral.clocks.append(clock)
    chasing.schedule_first(clock)
    return clock


def route_targets(referral, starts_from: str):
    if not referral.route:
        return []
    return [
        t for t in current_policy().clock_targets(referral.route, referral.urgency)
        if t.starts_from == starts_from
    ]


def align_clocks_to_route(referral) -> None:
    """Give the referral the clocks its (new) route counts from receipt.

    A clock the new route also has, with the same deadline, keeps running: a
    re-route must not reset a 2-hour clock. One whose deadline differs is
    recomputed; one the route does not have is cancelled; one already met stays met.
    """
    at = now()
    wanted = {t.name: t for t in route_targets(referral, "receipt")}
    for clock in referral.clocks:
        if not clock.is_running:
            continue
        target = wanted.get(clock.name)
        if target is None or _deadline(target, clock.started_at) != clock.deadline:
            cancel(clock, at)
    have = {c.name for c in referral.clocks if c.status != "cancelled"}
    for name, target in wanted.items():
        if name not in have:
            _new_clock(referral, target, referral.received_at)


def start_review_clock(referral) -> None:
    """Back to a person (decline, hand on): a fresh triage clock from now; the
    service clocks keep running, because the patient's need has not gone away."""
    policy = current_policy()
    for target in policy.clock_targets(policy.review_route, referral.urgency or "urgent"):
        if target.name == "triage":
            _new_clock(referral, target, now())


def on_event(referral, event: str) -> None:
    """Meet the clocks this event meets; start the clocks it anchors."""
    at = now()
    for clock in referral.clocks:
        if clock.is_running and event in clock.met_by:
            clock.status, clock.met_at, clock.next_due_at = "met", at, None
    anchor = ANCHOR_OF_EVENT.get(event)
    if anchor:
        existing = {c.name for c in referral.clocks}
        for target in route_targets(referral, anchor):
            if target.name not in existing:
                _new_clock(referral, target, at)


def cancel(clock: Clock, at) -> None:
    clock.status, clock.cancelled_at, clock.next_due_at = "cancelled", at, None


def cancel_all(referral) -> None:
    at = now()
    for clock in referral.clocks:
        if clock.is_running:
            cancel(clock, at)
