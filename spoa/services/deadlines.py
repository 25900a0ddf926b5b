"""Clock rows: started from the policy's targets, met by lifecycle events,
kept, recomputed or cancelled when a referral is re-routed.

A referral runs its route's clocks for its kind (rules/policy/clocks.yaml:
``clocks`` for community referrals, ``discharge_clocks`` for hospital
discharges). The arithmetic (24/7, working hours, the end of a UK day) is
spoa.platform.timekeeping.
"""
from rules.clock_policy import STARTED_BY
from spoa.domain.policy import current_policy, current_working_hours
from spoa.models import Clock
from spoa.notifications import chasing
from spoa.platform.timekeeping import add_duration, by_end_of_day, now

# Which lifecycle event sets the anchor a later clock counts from (clocks.yaml `from`).
ANCHOR_OF_EVENT = {event: anchor for anchor, event in STARTED_BY.items()}


def _deadline(referral, target, start):
    return deadline_of(target, start, referral.discharge_ready_date, getattr(referral, "breach_at", None))


def deadline_of(target, start, drd=None, breach=None):
    if target.ends_at_breach:
        # A pushed call's: its breach time as the latest message says, else the policy's default.
        # One already past when the clock starts is due at once (the call goes straight back).
        return max(breach, start) if breach else start + target.duration
    if target.ends_on_drd:
        # By the end of the discharge ready date, or target.duration from a start after it.
        return by_end_of_day(drd, start, target.duration)
    return add_duration(start, target.duration, target.counts, current_working_hours())


def from_receipt(route: str, urgency: str, received, kind: str = "community", drd=None,
                 breach=None) -> list[tuple]:
    """(clock name, deadline) of each clock a referral would start at receipt, for a
    preview before anything is stored; not the ones met at once (automatic triage)."""
    return [(t.name, deadline_of(t, received, drd, breach))
            for t in current_policy().clock_targets(route, urgency, kind=kind)
            if t.starts_from == "receipt" and (t.duration or t.ends_on_drd) and (drd is not None or not t.ends_on_drd)]


def _new_clock(referral, target, start, route: str | None = None) -> Clock:
    """``route``: the route the clock runs for (default the referral's), kept on the
    clock so a report counts it under that route even after a re-route."""
    clock = Clock(
        name=target.name, route=route or referral.route, received_at=referral.received_at,
        counts=target.counts, met_by=list(target.met_by),
        started_at=start, deadline=_deadline(referral, target, start), status="running",
        effects=[],  # known empty: answering for a new clock costs no query
    )
    referral.clocks.append(clock)
    chasing.schedule_first(clock)
    return clock


def _targets(referral, route: str | None = None, urgency: str | None = None):
    """The clocks ``route`` (default: the referral's) runs for this referral's kind."""
    route = route or referral.route
    if not route:
        return []
    return current_policy().clock_targets(route, urgency or referral.urgency or "urgent",
                                          kind=referral.kind or "community")


def _counts_now(referral, target) -> bool:
    """A clock due by the DRD runs only while there is one and the patient is still in hospital."""
    return not target.ends_on_drd or (referral.discharge_ready_date is not None and referral.discharged_at is None)


def route_targets(referral, starts_from: str):
    return [t for t in _targets(referral) if t.starts_from == starts_from and _counts_now(referral, t)]


def align_clocks_to_route(referral) -> None:
    """Give the referral the clocks its (new) route counts from receipt (and, for a
    patient already discharged from hospital, from that discharge).

    A clock the new route also has, with the same deadline, keeps running: a
    re-route must not reset a 2-hour clock, nor a discharge's DRD. One whose
    deadline differs is recomputed; one the route does not have is cancelled;
    one already met stays met.
    """
    at = now()
    wanted = {t.name: (t, referral.received_at) for t in route_targets(referral, "receipt")}
    if referral.discharged_at is not None:
        wanted.update({t.name: (t, referral.discharged_at) for t in route_targets(referral, "discharged")})
    for clock in referral.clocks:
        if not clock.is_running:
            continue
        target, _ = wanted.get(clock.name, (None, None))
        if target is None or _deadline(referral, target, clock.started_at) != clock.deadline:
            cancel(clock, at)
    have = {c.name for c in referral.clocks if c.status != "cancelled"}
    for name, (target, start) in wanted.items():
        if name not in have:
            _new_clock(referral, target, start)


def start_review_clock(referral) -> None:
    """Back to a person (decline, hand on): a fresh triage clock from now; the
    service clocks keep running, because the patient's need has not gone away."""
    policy = current_policy()
    for target in _targets(referral, policy.review_route):
        if target.name == "triage":
            _new_clock(referral, target, now(), route=policy.review_route)


def on_event(referral, event: str, at=None) -> None:
    """Meet the clocks this event meets; start the clocks it anchors. ``at``: when
    it happened, if not now (a discharge the ward records after the patient left)."""
    at = at or now()
    for clock in referral.clocks:
        if clock.is_running and event in clock.met_by:
            clock.status, clock.met_at, clock.next_due_at = "met", at, None
    anchor = ANCHOR_OF_EVENT.get(event)
    if anchor:
        existing = {c.name for c in referral.clocks}
        for target in route_targets(referral, anchor):
            if target.name not in existing:
                _new_clock(referral, target, at)


def drd_clock_names(referral) -> list[str]:
    """The clocks the referral's route counts by its discharge ready date (by name)."""
    return [t.name for t in _targets(referral) if t.ends_on_drd]


def stop_drd_clocks(referral) -> list[str]:
    """Readiness withdrawn: the clocks due by the DRD stop (there is no DRD to be due by)."""
    at, names, stopped = now(), drd_clock_names(referral), []
    for clock in referral.clocks:
        if clock.is_running and clock.name in names:
            cancel(clock, at)
            stopped.append(clock.name)
    return stopped


def start_drd_clocks(referral) -> list[str]:
    """Ready again, with a new DRD: a new clock for each the route counts by it, from now."""
    stop_drd_clocks(referral)  # none should run; should one, the new DRD replaces it
    started = []
    for target in route_targets(referral, "receipt"):
        if target.ends_on_drd:
            started.append(_new_clock(referral, target, now()).name)
    return started


def cancel(clock: Clock, at) -> None:
    clock.status, clock.cancelled_at, clock.next_due_at = "cancelled", at, None


def cancel_all(referral) -> None:
    at = now()
    for clock in referral.clocks:
        if clock.is_running:
            cancel(clock, at)
