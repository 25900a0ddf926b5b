"""Who is told: a threshold or an alert is addressed to a link of the escalation
chain (a duty role) and goes to the person on duty as it at the instant the
notification is made (the rota, services/rota.py). With nobody on that duty it
goes on to the next link at once (or back to the nearest earlier one with
someone), recording the duties passed over; with nobody on any, it stays with
the role."""
from dataclasses import dataclass

from flask import g

from spoa.domain.policy import current_policy
from spoa.notifications.thresholds import Threshold
from spoa.services import rota


def _as_recipient(referral, link: str) -> str:
    if link == "service_duty_lead":
        route = referral.route
        if route in current_policy().services:
            return f"service_duty_lead:{route}"
        return "spoa_supervisor"  # no service holds it (review): the supervisor is first
    return link


def chain_of(referral) -> list[str]:
    """The escalation chain as this referral's recipients, first link first."""
    return list(dict.fromkeys(_as_recipient(referral, link) for link in current_policy().escalation_chain))


def recipient_for(referral, threshold: Threshold) -> str:
    """The link of the chain a threshold is addressed to (a role; who holds it: addressee)."""
    chain = current_policy().escalation_chain
    link = chain[0] if threshold.kind == "warning" else chain[min(threshold.level, len(chain)) - 1]
    return _as_recipient(referral, link)


@dataclass(frozen=True)
class Addressee:
    recipient: str              # the link reached (the one addressed when nobody held any)
    user_id: int | None         # the person on duty there at that instant
    nobody_on_duty: list | None  # links passed over, in chain order; None: not a duty at all


def _holder_id(recipient: str, at) -> int | None:
    """Who holds ``recipient`` at ``at``: one query per duty and instant per unit
    of work (a pass chases many clocks at one instant)."""
    cache = g.setdefault("spoa_holders", {})
    key = (recipient, at)
    if key not in cache:
        duty, service = rota.split_recipient(recipient)
        person = rota.holder(duty, service, at)
        cache[key] = person.id if person is not None else None
    return cache[key]


def addressee(referral, recipient: str, at) -> Addressee:
    """The person on duty as ``recipient`` at ``at`` (the instant the notification
    is made: after an outage, whoever is on duty now). Nobody there: the next link
    of the chain at once, else the nearest earlier one with a holder; nobody on any:
    the recipient as addressed, with no one named. A recipient that is no duty
    (not in the chain) is addressed as it is."""
    chain = chain_of(referral)
    if recipient not in chain:
        return Addressee(recipient, None, None)
    start = chain.index(recipient)
    tried = []
    for link in chain[start:] + chain[:start][::-1]:
        person = _holder_id(link, at)
        if person is not None:
            return Addressee(link, person, sorted(tried, key=chain.index))
        tried.append(link)
    return Addressee(recipient, None, sorted(tried, key=chain.index))
