"""Lifecycle events on an existing referral, fired by people and service systems:
what each event does beside moving the referral (EFFECTS, one entry an event of
spoa/domain/lifecycle.py's table), committed as one unit of work."""
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm.exc import StaleDataError

from rules.policy_model import RETURN_REASONS
from spoa.domain.actor import Actor
from spoa.domain.lifecycle import LifecycleError
from spoa.domain.policy import current_policy
from spoa.extensions import db
from spoa.models import Referral, User
from spoa.notifications import chasing, inbox
from spoa.platform.database import commit_unless_raced
from spoa.platform.safe_log import bound
from spoa.platform.timekeeping import now
from spoa.services import deadlines, delays, discharge, duty, flags, returns
from spoa.services.events import record_event
from spoa.services.triage import reapply_flags, route_by_person, set_route

log = logging.getLogger(__name__)


SAME_MOMENT = "Someone else changed this referral at the same moment: reload it and try again."


class VersionMismatch(Exception):
    """If-Match named a version the referral has moved on from (412)."""

    def __init__(self, current: int):
        super().__init__(f"The referral is at version {current}.")
        self.current = current


def routes_a_person_may_choose(referral) -> list[str]:
    """The services; for a hospital discharge also the routes of a pathway that no
    service works (discharge_simple: home with no new care), as the rules may."""
    policy = current_policy()
    choices = list(policy.services)
    if referral.is_discharge:
        choices += [code for code, info in policy.routes.items() if not info.is_service and info.pathway is not None]
    return choices


def _check_route(referral, route: str | None, urgency: str | None) -> tuple[str, str]:
    policy = current_policy()
    choices = routes_a_person_may_choose(referral)
    if route not in choices and route != policy.redirect_route:
        raise LifecycleError(
            "Choose the service to route to: one of " + ", ".join(choices) + ".", 422, "route")
    if urgency not in policy.urgencies:
        *most, least = policy.urgencies
        raise LifecycleError(f"Urgency must be {', '.join(most)} or {least}.", 422, "urgency")
    return route, urgency


def apply_event(referral: Referral, event: str, actor: Actor, *, reason: str | None = None,
                expected_version: int | None = None, route: str | None = None,
                urgency: str | None = None, service: str | None = None, at=None,
                discharge_ready_date=None, reason_code: str | None = None) -> Referral:
    """Fire one event and commit. Exactly one of several concurrent writers wins:
    the version column makes the losers' UPDATE match no row (409). An event
    refused is rolled back whole: nothing it touched (an organisation's place
    included) is kept. ``service``: reassign's organisation; ``at``: when the
    patient left hospital (discharged); ``discharge_ready_date``: ready_again's new DRD;
    ``reason_code``: return_to_sender's rejected-reasons-bars code."""
    reason = reason.strip() if reason else None
    _only_for(event, at=(at, "discharged"), discharge_ready_date=(discharge_ready_date, "ready_again"),
              reason_code=(reason_code, "return_to_sender"))
    asked = Asked(reason, route, urgency, service, at, discharge_ready_date, reason_code)
    with bound(referral_id=referral.id):
        return _apply_event(referral, event, actor, asked, expected_version)


@dataclass(frozen=True)
class Asked:
    """What the caller gave beside the event (each field only for the events that take it)."""
    reason: str | None
    route: str | None = None
    urgency: str | None = None
    service: str | None = None
    at: datetime | None = None
    discharge_ready_date: date | None = None
    reason_code: str | None = None


def _apply_event(referral, event, actor, asked: Asked, expected_version) -> Referral:
    effect = EFFECTS.get(event, _record)  # an unknown event: record_event refuses it (422)
    for attempt in (1, 2):
        if expected_version is not None and expected_version != referral.version:
            raise VersionMismatch(referral.version)
        try:
            raced = commit_unless_raced(db.session, lambda: effect(referral, event, actor, asked))
        except StaleDataError:
            # Any flush (autoflush on a lazy load included) may find the row moved
            # on: another person's event won. Not retried: they decided first.
            raise LifecycleError(SAME_MOMENT, 409) from None
        if raced is None:
            break
        # The reconciler advancing this referral's clocks at the same moment: the
        # same threshold recorded twice (unique clock effect), a deadlock, a
        # serialization failure or a lock wait given up. Nothing was kept; once
        # more on the fresh rows, then a 409, never a 500.
        log.info("referral event raced referral_id=%s event=%s attempt=%s error=%s",
                 referral.id, event, attempt, type(raced.orig).__name__)
        if attempt == 2:
            raise LifecycleError(SAME_MOMENT, 409) from None
    log.info("referral event referral_id=%s event=%s", referral.id, event)
    return referral


def _only_for(event: str, **given) -> None:
    """A field that belongs to another event is refused, not ignored: a ward that
    sends a time with its delay must not believe the time was recorded."""
    for name, (value, owner) in given.items():
        if value is not None and event != owner:
            raise LifecycleError(f"{name} is given only with the {owner} event.", 422, name)


# Each effect below runs inside the unit of work. Those that touch other rows do it
# as record_event's ``effect``: after the lifecycle has said the event may happen
# (checked once, there), before its audit row is written with what the effect says.

def _record(referral, event, actor, asked: Asked) -> None:
    record_event(referral, event, actor, reason=asked.reason)


def _route(referral, event, actor, asked: Asked) -> None:
    """triage (from review) and override: a supervisor sets the route."""
    route, urgency = _check_route(referral, asked.route, asked.urgency or referral.urgency)
    route_by_person(referral, actor, route, urgency, asked.reason, event)


def _acknowledge_escalation(referral, event, actor, asked: Asked) -> None:
    def pause() -> dict:
        if not referral.has_unacknowledged_breach:
            raise LifecycleError("No breached clock on this referral is waiting to be acknowledged.", 409)
        # Audit rows are append-only (a trigger refuses UPDATE), so the row is
        # written once with its final detail: first record what was already due
        # (the escalations reached before a person took it), then pause, naming
        # the clocks paused.
        at = now()
        chasing.catch_up(referral, at)
        # The person who took it is named on every inbox of those clocks (a service's system: nobody).
        by_user = db.session.get(User, actor.id) if actor.kind == "user" and actor.id is not None else None
        return {"clocks": inbox.acknowledge(referral, at, by_user)}

    record_event(referral, event, actor, reason=asked.reason, effect=pause)


def _give_back(referral, event, actor, asked: Asked) -> None:
    """decline, hand_on: back to a supervisor. Declined (handed back): the
    organisation's place is given back. Handed on after the work started: the
    place was used, but it is no longer theirs."""
    def release() -> dict:
        code = referral.assigned_service
        left = duty.release(referral) if event == "decline" else ({"organisation": code} if code else None)
        return {"service": referral.route, **(left or {})}

    record_event(referral, event, actor, reason=asked.reason, effect=release)
    referral.assigned_service = None
    set_route(referral, current_policy().review_route)
    deadlines.start_review_clock(referral)
    reapply_flags(referral, actor)


def _reassign(referral, event, actor, asked: Asked) -> None:
    record_event(referral, event, actor, reason=asked.reason,
                 effect=lambda: {"service": referral.route, **duty.reassign(referral, asked.service)})


def _accept(referral, event, actor, asked: Asked) -> None:
    if not referral.waiting_for:
        return _record(referral, event, actor, asked)
    record_event(referral, event, actor, reason=asked.reason,
                 effect=lambda: {"waiting_for_cleared": flags.clear(referral)})


def _leave(referral, event, actor, asked: Asked) -> None:
    """redirect, cancel, withdraw: before acceptance is over (offered, accepted) the
    voluntary organisation's place is given back. Closed: assigned_service stays,
    the record of who had it."""
    if not (referral.assigned_service and referral.state in ("offered", "accepted")):
        return _record(referral, event, actor, asked)
    record_event(referral, event, actor, reason=asked.reason, effect=lambda: duty.release(referral))


def _return(referral, event, actor, asked: Asked) -> None:
    """return_to_sender: the pushed call goes back to the ambulance service, with why.
    Fired by the system only when the call's breach time passed untaken
    (services/push_returns.py): then it is automatic, and the supervisor is told."""
    if asked.reason_code not in RETURN_REASONS:
        raise LifecycleError("Choose why it goes back: " + ", ".join(
            f"{code} ({label.lower()})" for code, label in RETURN_REASONS.items()) + ".", 422, "reason_code")
    automatic = actor.kind == "system"
    record_event(referral, event, actor, reason=asked.reason,
                 effect=lambda: returns.detail(asked.reason_code, asked.reason, automatic))
    if automatic:
        returns.alert_supervisor(referral, asked.reason)


EFFECTS: dict[str, Callable] = {
    "triage": _route,
    "override": _route,
    "review": _record,
    "offer": _record,
    "flag": _record,
    "acknowledge": _record,
    "accept": _accept,
    "decline": _give_back,
    "hand_on": _give_back,
    "reassign": _reassign,
    "first_contact": _record,
    "start_episode": _record,
    "review_episode": _record,
    "complete": _record,
    "redirect": _leave,
    "cancel": _leave,
    "withdraw": _leave,
    "acknowledge_escalation": _acknowledge_escalation,
    "add_information": _record,
    "discharged": lambda referral, event, actor, asked: discharge.discharged(referral, actor, asked.at),
    "readiness_withdrawn": lambda referral, event, actor, asked: discharge.readiness_withdrawn(
        referral, actor, asked.reason),
    "ready_again": lambda referral, event, actor, asked: discharge.ready_again(
        referral, actor, asked.discharge_ready_date),
    "delay": lambda referral, event, actor, asked: delays.record_delay(referral, actor, asked.reason),
    "return_to_sender": _return,
    "request_ambulance": _record,
}
