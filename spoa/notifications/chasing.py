"""Chasing a clock: recording each threshold it passes once, and telling the link
of the chain it has reached.

The thresholds' arithmetic is notifications/thresholds.py; who is told,
notifications/addressing.py; the rows, notifications/notifying.py. The clock stores the
instant of its next threshold (`next_due_at`); whoever advances it records where
the clock stands now: each warning and the breach passed, and the escalation
level reached (worked out, so a clock days behind costs one step and one
notification, not a backlog). Execution is at-least-once; the unique (clock,
kind, level) makes each effect once. A clock stays breached, listed and in the
inbox until a person has it (notifications/inbox.py's acknowledge pauses the chain).
"""
import logging

from sqlalchemy import event as sa_event
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from spoa.domain.policy import current_policy
from spoa.extensions import db
from spoa.models import ClockEffect
from spoa.notifications.addressing import addressee, recipient_for
from spoa.notifications.notifying import notifications, said
from spoa.notifications.thresholds import Threshold, Thresholds
from spoa.platform.safe_log import bound
from spoa.platform.timekeeping import now

log = logging.getLogger(__name__)


def thresholds_of(clock) -> Thresholds:
    policy = current_policy()
    kind = clock.referral.kind if clock.referral is not None else None
    return Thresholds(clock, policy, returns=policy.returns_at_deadline(clock.name, kind))


def return_due(clock, at) -> bool:
    """A running pushed call's clock whose deadline has passed and which gives the call
    back then (clocks.yaml on_deadline: return): the reconciler returns it."""
    return clock.is_running and thresholds_of(clock).return_due(at)


def schedule_first(clock) -> None:
    """A new clock's first due instant (nothing is recorded yet)."""
    first = thresholds_of(clock).next(set())
    clock.next_due_at = first.at if first else None


def _notify(referral, clock, effect: ClockEffect, threshold: Threshold, at) -> None:
    to = addressee(referral, recipient_for(referral, threshold), at)
    words = {"warning": f"{threshold.level}% of its time gone", "breach": "BREACHED",
             "escalation": f"still breached, escalated (level {threshold.level})"}[threshold.kind]
    if threshold.kind == "escalation" and threshold.level == current_policy().last_escalation_level:
        words = f"still breached, final reminder (level {threshold.level}): no more will be sent"
    subject = said(f"{referral.reference}: {clock.name.replace('_', ' ')} clock {words}", to)
    effect.notifications.extend(notifications(referral, to, subject, at))
    # Ids and the clock only: never patient details in logs.
    log.info("clock %s referral_id=%s clock_id=%s level=%s recipient=%s user_id=%s nobody_on_duty=%s",
             threshold.kind, referral.id, clock.id, threshold.level, to.recipient, to.user_id,
             to.nobody_on_duty)


def advance(clock, at) -> list[ClockEffect]:
    """Record where ``clock`` stands at ``at`` (Thresholds.due: at most the
    warnings, the breach and one escalation, however late the pass) and notify
    the last of them only, to the link the clock has reached. Sets the next due
    instant. The caller commits."""
    if not clock.is_running:
        clock.next_due_at = None
        return []
    with bound(referral_id=clock.referral_id):  # a pass advances many referrals' clocks: say whose
        return _advance(clock, at)


def _advance(clock, at) -> list[ClockEffect]:
    thresholds = thresholds_of(clock)  # one re-chase interval for the whole step
    recorded = {(e.kind, e.level) for e in clock.effects}
    passed = thresholds.due(recorded, at)
    recorded.update((t.kind, t.level) for t in passed)
    effects = []
    for i, threshold in enumerate(passed):
        effect = ClockEffect(referral_id=clock.referral.id, kind=threshold.kind,
                             level=threshold.level, due_at=threshold.at, recorded_at=at, notifications=[])
        clock.effects.append(effect)
        effects.append(effect)
        _apply_status(clock, threshold, at)
        # One step, one notification: where the clock stands now goes to the link it has
        # reached; what it overtook in the same step (a warning, the breach, an earlier level)
        # is recorded, not sent. A pass after an outage tells one person, not a backlog.
        if i == len(passed) - 1:
            _notify(clock.referral, clock, effect, threshold, at)
    following = thresholds.next(recorded)
    clock.next_due_at = following.at if following else None
    return effects


def _apply_status(clock, threshold: Threshold, at) -> None:
    if threshold.kind == "warning":
        clock.status = "warned"
        clock.warned_at = clock.warned_at or at
    elif threshold.kind == "breach":
        clock.status, clock.breached_at, clock.escalation_level = "breached", at, 1
    else:
        clock.escalation_level = threshold.level


def catch_up(referral, at) -> None:
    """Within a unit of work that changed ``referral``: record what is already due
    (a back-dated referral shows its warnings in the answer to its own POST).
    A unit of work asks for it with catch_up_before_commit; called directly only
    where the order matters (what was due before a person acknowledged it)."""
    for clock in referral.clocks:
        if clock.is_running and clock.next_due_at is not None and clock.next_due_at <= at:
            advance(clock, at)
        elif not clock.is_running:
            clock.next_due_at = None


_CHANGED = "spoa_referrals_to_catch_up"


def catch_up_before_commit(referral) -> None:
    """Catch ``referral``'s clocks up once, as its unit of work commits, however many
    events it recorded on the way (an intake records triage, then offer)."""
    db.session.info.setdefault(_CHANGED, {})[id(referral)] = referral


@sa_event.listens_for(Session, "before_commit")
def _catch_up_changed(session) -> None:
    changed = session.info.pop(_CHANGED, None)
    if not changed:
        return
    at = now()
    for referral in changed.values():
        if not inspect(referral).detached:  # not dropped from the session meanwhile
            catch_up(referral, at)


@sa_event.listens_for(Session, "after_rollback")
def _forget(session) -> None:
    session.info.pop(_CHANGED, None)
