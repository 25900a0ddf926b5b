"""Which lifecycle events a referral's sender is told of, and how each reads:
data, one row an event (notifications/outcomes.py queues them, the timeline shows them).

A clinical or service lead changes what senders hear here, not in the code that
fires the events.
"""
from dataclasses import dataclass

from spoa.platform.timekeeping import to_uk


@dataclass(frozen=True)
class Outcome:
    reads: str  # what the sender is told; {route} is the route's name then
    # The states it counts from (None: any). Events from "received" are intake's own:
    # the sender had their route in intake's answer, so they are never outcomes.
    from_states: tuple | None = None
    by_person: bool = False  # only when a person (not the rules engine) fired it
    # The BaRS sender's ServiceRequest after it (FHIR request-status): still being
    # acted on, fulfilled (the patient is in a service's care), or SPOA will not act on it.
    service_request_status: str = "active"
    # A pushed 999 call's answers (BaRS Application 4): SPOA's own Encounter's status
    # (in-progress: taken; cancelled: returned, with why; finished: done) and, when
    # finished, whether the patient needs an ambulance (despatch is required).
    encounter_status: str | None = None
    ambulance_needed: bool | None = None
    at_intake: bool = False  # told even when fired at intake (the rules gave the call back at once)


OUTCOMES = {
    "accept": Outcome("accepted"),
    "decline": Outcome("declined: back to review"),
    "override": Outcome("re-routed to {route}"),
    "triage": Outcome("routed to {route}", from_states=("in_review",), by_person=True),
    "redirect": Outcome("redirected to 999/ED", from_states=("in_review", "triaged", "offered", "accepted"),
                        service_request_status="revoked"),
    "cancel": Outcome("cancelled", service_request_status="revoked"),
    "first_contact": Outcome("first contact made", service_request_status="completed"),
    "start_episode": Outcome("first contact made: episode started", from_states=("accepted",),
                             service_request_status="completed"),
}


# What the ambulance service hears of a call it pushed: taken (once accepted: first
# contact can only follow an accept), returned (by the rules at once, a person, or SPOA at
# the breach time; a supervisor's redirect or cancel gives it back too), and finished. Its
# own cancellation (withdraw) it is not told of: it sent it.
_RETURNED = dict(service_request_status="revoked", encounter_status="cancelled")
PUSH_OUTCOMES = {
    "accept": Outcome("taken: accepted by urgent community response", encounter_status="in-progress"),
    "return_to_sender": Outcome("returned to the ambulance service", at_intake=True, **_RETURNED),
    "redirect": Outcome("returned to the ambulance service: redirected to 999/ED",
                        from_states=("in_review", "triaged", "offered", "accepted"), **_RETURNED),
    "cancel": Outcome("returned to the ambulance service: cancelled by SPOA", **_RETURNED),
    "complete": Outcome("finished: no ambulance needed", service_request_status="completed",
                        encounter_status="finished", ambulance_needed=False),
    "request_ambulance": Outcome("finished: the patient needs an ambulance, despatch is required",
                                 service_request_status="revoked", encounter_status="finished",
                                 ambulance_needed=True),
}
PUSHED_CALL = "pushed_call"


def outcome_of(event: str, from_state: str | None, actor_kind: str, kind: str | None = None) -> Outcome | None:
    """The outcome this lifecycle event is for its sender (a referral of ``kind``), or None."""
    outcome = (PUSH_OUTCOMES if kind == PUSHED_CALL else OUTCOMES).get(event)
    if outcome is None or (from_state == "received" and not outcome.at_intake):
        return None
    if outcome.from_states is not None and from_state not in outcome.from_states:
        return None
    if outcome.by_person and actor_kind == "system":
        return None
    return outcome


# Why a sender heard nothing, by how the referral came: a FHIR referral is told
# through BaRS (or its API client's callback, if it has one and no BaRS endpoint).
WHY_NOT_TOLD = {"sender_webhook": "no callback registered",
                "bars": "no BaRS endpoint registered for the sending system"}


def told_line(row) -> str | None:
    """What the referral's timeline says the sender was told of this event, or None (not an outcome)."""
    kind = row.referral.kind if row.referral is not None else None
    outcome = outcome_of(row.event, row.from_state, row.actor_kind, kind)
    if outcome is None or row.referral is None or row.referral.channel == "form":
        return None
    sent = list(row.outcome_notifications)
    if not sent:
        return "sender not told: " + WHY_NOT_TOLD["bars" if row.referral.channel == "fhir" else "sender_webhook"]
    lines = []
    for n in sent:
        reads = (n.payload or {}).get("data", {}).get("outcome", n.subject)
        if n.status == "delivered":
            lines.append(f"sender told: {reads}, {to_uk(n.delivered_at):%H:%M}")
        elif n.status == "failed":
            lines.append(f"sender not told: sending failed after {n.attempts} attempts")
        elif n.status == "cancelled":  # notifications/outcomes.py still_to_tell: why, in last_error
            lines.append(f"sender not told: {n.last_error}")
        elif n.attempts:
            lines.append("sending failed, retrying")
        else:
            lines.append(f"telling the sender: {reads}")
    return "; ".join(lines)
