"""Lifecycle events on an existing referral, fired by people and service systems."""
import logging

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ..actor import Actor
from ..clocks import now
from ..extensions import db
from ..lifecycle import LifecycleError, check_event
from ..models import Referral, User
from ..policy import current_policy
from ..safe_log import bound
from . import chasing, deadlines, delays, discharge, duty, flags, inbox
from .events import record_event
from .triage import reapply_flags, route_by_person, set_route

log = logging.getLogger(__name__)


SAME_MOMENT = "Someone else changed this referral at the same moment: reload it and try again."
# PostgreSQL SQLSTATEs of a transaction that lost a race: serialization failure,
# deadlock, lock not available (lock_timeout), query cancelled (statement_timeout).
_RACE_SQLSTATES = frozenset({"40001", "40P01", "55P03", "57014"})


def is_concurrent_change(exc: DBAPIError) -> bool:
    """A database error meaning "another transaction got there first", not a bug."""
    if isinstance(exc, IntegrityError):
        return True  # a unique row (a clock's effect) another writer committed first
    if getattr(exc.orig, "pgcode", None) in _RACE_SQLSTATES:
        return True
    return "database is locked" in str(exc.orig)  # SQLite's busy timeout ran out


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
                discharge_ready_date=None) -> Referral:
    """Fire one event and commit. Exactly one of several concurrent writers wins:
    the version column makes the losers' UPDATE match no row (409). An event
    refused is rolled back whole: nothing it touched (an organisation's place
    included) is kept. ``service``: reassign's organisation; ``at``: when the
    patient left hospital (discharged); ``discharge_ready_date``: ready_again's new DRD."""
    with bound(referral_id=referral.id):
        return _apply_event(referral, event, actor, reason=reason, expected_version=expected_version,
                            route=route, urgency=urgency, service=service, at=at,
                            discharge_ready_date=discharge_ready_date)


def _apply_event(referral, event, actor, *, reason, expected_version, route, urgency, service, at,
                 discharge_ready_date) -> Referral:
    reason = reason.strip() if reason else None
    _only_for(event, at=(at, "discharged"), discharge_ready_date=(discharge_ready_date, "ready_again"))
    extra = {"at": at, "discharge_ready_date": discharge_ready_date}
    for attempt in (1, 2):
        if expected_version is not None and expected_version != referral.version:
            raise VersionMismatch(referral.version)
        try:
            _apply(referral, event, actor, reason, route, urgency, service, **extra)
            db.session.commit()
            break
        except StaleDataError:
            # Any flush (autoflush on a lazy load included) may find the row moved
            # on: another person's event won. Not retried: they decided first.
            db.session.rollback()
            raise LifecycleError(SAME_MOMENT, 409) from None
        except LifecycleError:
            db.session.rollback()
            raise
        except DBAPIError as exc:
            # The reconciler advancing this referral's clocks at the same moment:
            # the same threshold recorded twice (unique clock effect), a deadlock,
            # a serialization failure or a lock wait given up. Nothing was kept;
            # once more on the fresh rows, then a 409, never a 500.
            db.session.rollback()
            if not is_concurrent_change(exc):
                raise
            log.info("referral event raced referral_id=%s event=%s attempt=%s error=%s",
                     referral.id, event, attempt, type(exc.orig).__name__)
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


# Events after which the referral is no longer with its voluntary organisation:
# before acceptance is over (offered, accepted) its place is given back.
_LEAVING = ("redirect", "cancel", "withdraw")


def _apply(referral, event, actor, reason, route, urgency, service, at=None, discharge_ready_date=None) -> None:
    if event in ("override", "triage"):
        route, urgency = _check_route(referral, route, urgency or referral.urgency)
        route_by_person(referral, actor, route, urgency, reason, event)
    elif event == "acknowledge_escalation":
        check_event(referral, event, actor, reason)  # who may, before anything is said of its clocks
        if not referral.has_unacknowledged_breach:
            raise LifecycleError("No breached clock on this referral is waiting to be acknowledged.", 409)
        # Audit rows are append-only (a trigger refuses UPDATE), so the row is
        # written once with its final detail: first record what was already due
        # (the escalations reached before a person took it), then pause, then
        # write the row naming the clocks paused.
        at = now()
        chasing.catch_up(referral, at)
        # The person who took it is named on every inbox of those clocks (a service's system: nobody).
        by_user = db.session.get(User, actor.id) if actor.kind == "user" and actor.id is not None else None
        paused = inbox.acknowledge(referral, at, by_user)
        record_event(referral, event, actor, reason=reason, detail={"clocks": paused})
    elif event in ("decline", "hand_on"):
        # Declined (handed back): the organisation's place is given back. Handed on
        # after the work started: the place was used, but it is no longer theirs.
        check_event(referral, event, actor, reason)
        code = referral.assigned_service
        left = duty.release(referral) if event == "decline" else ({"organisation": code} if code else None)
        record_event(referral, event, actor, reason=reason, detail={"service": referral.route, **(left or {})})
        referral.assigned_service = None
        set_route(referral, current_policy().review_route)
        deadlines.start_review_clock(referral)
        reapply_flags(referral, actor)
    elif event == "reassign":
        check_event(referral, event, actor, reason)
        moved = duty.reassign(referral, service)
        record_event(referral, event, actor, reason=reason, detail={"service": referral.route, **moved})
    elif event == "discharged":
        discharge.discharged(referral, actor, at)
    elif event == "readiness_withdrawn":
        discharge.readiness_withdrawn(referral, actor, reason)
    elif event == "ready_again":
        discharge.ready_again(referral, actor, discharge_ready_date)
    elif event == "delay":
        delays.record_delay(referral, actor, reason)
    elif event == "accept" and referral.waiting_for:
        check_event(referral, event, actor, reason)
        record_event(referral, event, actor, reason=reason, detail={"waiting_for_cleared": flags.clear(referral)})
    elif event in _LEAVING and referral.assigned_service and referral.state in ("offered", "accepted"):
        check_event(referral, event, actor, reason)
        # Closed: assigned_service stays, the record of who had it.
        record_event(referral, event, actor, reason=reason, detail=duty.release(referral))
    else:
        record_event(referral, event, actor, reason=reason)
