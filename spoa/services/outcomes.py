"""The referrer is told the outcome: which lifecycle events a referral's sender
hears about, how each reads, and the outbox rows that carry them.

record_event (services/events.py) calls ``on_event`` for every state change, in
the same transaction: an outcome and the event it reports commit together or
not at all. Sending is the outbox's job (services/delivery.py: retries with
backoff, each attempt recorded, never inside a transaction), so a dead callback
never slows intake or chasing. The unique (audit_event_id, channel) constraint
makes one outcome one message a channel.

Channels: ``sender_webhook`` (a JSON API client's callback URL, Standard
Webhooks). A BaRS sender's ``bars`` channel is a second entry in CHANNELS: a
function from the referral to its target, or None when it has nowhere to go.
"""
from dataclasses import dataclass
from typing import Callable

from ..clocks import now, to_uk
from ..extensions import db
from ..models import ApiClient, Notification
from ..policy import current_policy


@dataclass(frozen=True)
class Outcome:
    reads: str  # what the sender is told; {route} is the route's name then
    # The states it counts from (None: any). Events from "received" are intake's own:
    # the sender had their route in intake's answer, so they are never outcomes.
    from_states: tuple | None = None
    by_person: bool = False  # only when a person (not the rules engine) fired it


OUTCOMES = {
    "accept": Outcome("accepted"),
    "decline": Outcome("declined: back to review"),
    "override": Outcome("re-routed to {route}"),
    "triage": Outcome("routed to {route}", from_states=("in_review",), by_person=True),
    "redirect": Outcome("redirected to 999/ED", from_states=("in_review", "triaged", "offered", "accepted")),
    "cancel": Outcome("cancelled"),
    "first_contact": Outcome("first contact made"),
    "start_episode": Outcome("first contact made: episode started", from_states=("accepted",)),
}


def outcome_of(event: str, from_state: str | None, actor_kind: str) -> Outcome | None:
    """The outcome this lifecycle event is for its sender, or None."""
    outcome = OUTCOMES.get(event)
    if outcome is None or from_state == "received":
        return None
    if outcome.from_states is not None and from_state not in outcome.from_states:
        return None
    if outcome.by_person and actor_kind == "system":
        return None
    return outcome


def _webhook_target(referral) -> tuple[str, str] | None:
    """A JSON API sender's callback: (recipient, url), or None (no callback registered)."""
    if referral.api_client_id is None:
        return None
    client = db.session.get(ApiClient, referral.api_client_id)
    if client is None or not client.is_active or not client.callback_url:
        return None
    return f"api_client:{client.id}", client.callback_url


CHANNELS: dict[str, Callable] = {"sender_webhook": _webhook_target}
WHY_NOT_TOLD = {"sender_webhook": "no callback registered"}


def _route_name(route: str | None) -> str:
    if route is None:
        return "nowhere"
    found = current_policy().routes.get(route)
    return found.name if found else route.replace("_", " ")


def on_event(referral, row, actor_kind: str) -> None:
    """Queue the outcome ``row`` (the event's audit row, just added) is, for each channel its sender has."""
    outcome = outcome_of(row.event, row.from_state, actor_kind)
    if outcome is None:
        return
    reads = outcome.reads.format(route=_route_name(referral.route))
    body = {"type": f"referral.{row.event}", "data": {
        "referral_id": str(referral.id), "reference": referral.reference, "source_reference": referral.source_reference,
        "event": row.event, "outcome": reads, "state": referral.state, "route": referral.route,
        "at": now().isoformat()}}
    for channel, target_of in CHANNELS.items():
        target = target_of(referral)
        if target is None:
            continue
        recipient, url = target
        row.outcome_notifications.append(Notification(
            referral_id=referral.id, recipient=recipient, channel=channel, target=url,
            subject=f"{referral.reference}: {reads}", payload=body))


def timeline_line(row) -> str | None:
    """What the referral's timeline says the sender was told of this event, or None (not an outcome)."""
    outcome = outcome_of(row.event, row.from_state, row.actor_kind)
    if outcome is None or row.referral is None or row.referral.channel == "form":
        return None
    sent = list(row.outcome_notifications)
    if not sent:
        return "sender not told: " + WHY_NOT_TOLD["sender_webhook"]
    lines = []
    for n in sent:
        reads = (n.payload or {}).get("data", {}).get("outcome", n.subject)
        if n.status == "delivered":
            lines.append(f"sender told: {reads}, {to_uk(n.delivered_at):%H:%M}")
        elif n.status == "failed":
            lines.append(f"sender not told: sending failed after {n.attempts} attempts")
        elif n.attempts:
            lines.append("sending failed, retrying")
        else:
            lines.append(f"telling the sender: {reads}")
    return "; ".join(lines)
