"""Chasing a clock: its thresholds, each recorded once, and who is told.

A clock's thresholds, in order: a warning at each `warn_at` share of its
window (75%, 90%), the breach at its deadline (escalation level 1: the first
link of the chain), then one escalation a re-chase interval while it stays
breached and unacknowledged (level 2, 3, ...; past the end of the chain the
last link is chased again, clocks.yaml's `repeats_at_top` times, and then no
more: the last is the final reminder, and the clock stays breached, listed and
in the inbox until a person has it). The clock stores the instant of the next one
(`next_due_at`); whoever advances it records where the clock stands now: each
warning and the breach passed, and the escalation level reached (worked out, so
a clock days behind costs one step and one notification, not a backlog).
Execution is at-least-once; the unique (clock, kind, level) makes each effect once.

Who is told: a threshold or an alert is addressed to a link of the
chain (a duty role) and goes to the person on duty as it at the instant the
notification is made (the rota, services/rota.py): in the app, through the
role's channels, and through the person's own. With nobody on that duty it goes
on to the next link at once (or back to the nearest earlier one with someone),
recording the duties passed over; with nobody on any, it stays with the role.
"""
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import g
from sqlalchemy import select

from spoa.domain.policy import current_policy, current_working_hours
from spoa.extensions import db
from spoa.models import ClockEffect, Notification, NotificationChannel
from spoa.notifications import inbox
from spoa.platform.safe_log import bound
from spoa.platform.timekeeping import add_duration, elapsed, point_in_window
from spoa.services import rota

log = logging.getLogger(__name__)
SUBJECT_LENGTH = Notification.subject.type.length


@dataclass(frozen=True)
class Threshold:
    kind: str   # warning | breach | escalation
    level: int
    at: datetime


def _rechase(clock):
    hours = current_working_hours()
    window = elapsed(clock.started_at, clock.deadline, clock.counts, hours)
    return current_policy().rechase_interval(window, clock.counts)


def next_threshold(clock, recorded: set) -> Threshold | None:
    """The first threshold of this clock not in ``recorded`` ({(kind, level)})."""
    hours = current_working_hours()
    for fraction in current_policy().warn_at:
        level = round(fraction * 100)
        if ("warning", level) not in recorded:
            at = point_in_window(clock.started_at, clock.deadline, fraction, clock.counts, hours)
            return Threshold("warning", level, at)
    if ("breach", 1) not in recorded:
        return Threshold("breach", 1, clock.deadline)
    if clock.acknowledged_at is not None:
        return None  # a person has the escalation: the chain pauses
    level = max([lvl for kind, lvl in recorded if kind == "escalation"], default=1) + 1
    if level > current_policy().last_escalation_level:
        return None  # the final reminder has gone: nothing more is scheduled
    at = add_duration(clock.deadline, _rechase(clock) * (level - 1), clock.counts, hours)
    return Threshold("escalation", level, at)


def _escalation_at(clock, level: int, rechase, hours) -> datetime:
    """When escalation ``level`` falls due: the deadline (level 1, the breach) plus
    one re-chase interval a level, in the clock's own time (working hours or 24/7)."""
    return add_duration(clock.deadline, rechase * (level - 1), clock.counts, hours)


def current_level(clock, at) -> int:
    """The escalation level a breached, unacknowledged clock stands at at ``at``:
    level_reached, never past the final level (clocks.yaml's repeats_at_top)."""
    return min(level_reached(clock, at), current_policy().last_escalation_level)


def level_reached(clock, at) -> int:
    """The level ``at`` falls in (1 from the deadline, one more each re-chase
    interval), worked out from how late it is rather than stepped through: 40 days
    late is one sum, not 3,840 steps. 0 before the deadline."""
    hours = current_working_hours()
    late = elapsed(clock.deadline, at, clock.counts, hours)
    if late < timedelta(0):
        return 0
    rechase = _rechase(clock)
    level = 1 + late // rechase
    # elapsed() and add_duration() are inverses; these settle any rounding at
    # the edge of a working day (a step at most, each way).
    for _ in range(3):
        if level > 1 and _escalation_at(clock, level, rechase, hours) > at:
            level -= 1
        elif _escalation_at(clock, level + 1, rechase, hours) <= at:
            level += 1
        else:
            break
    return level


def due_thresholds(clock, recorded: set, at) -> list[Threshold]:
    """What ``clock`` should have recorded by ``at`` and has not, oldest first: each
    warning passed, the breach, and the escalation level it stands at now (the
    levels it went through unseen are not made up after the event)."""
    hours = current_working_hours()
    due = []
    for fraction in current_policy().warn_at:
        level = round(fraction * 100)
        if ("warning", level) not in recorded:
            when = point_in_window(clock.started_at, clock.deadline, fraction, clock.counts, hours)
            if when > at:
                return due
            due.append(Threshold("warning", level, when))
    if ("breach", 1) not in recorded:
        if clock.deadline > at:
            return due
        due.append(Threshold("breach", 1, clock.deadline))
    if clock.acknowledged_at is not None:
        return due  # a person has the escalation: the chain pauses
    reached = max([lvl for kind, lvl in recorded if kind == "escalation"], default=1)
    level = current_level(clock, at)
    if level > reached:
        due.append(Threshold("escalation", level, _escalation_at(clock, level, _rechase(clock), hours)))
    return due


def schedule_first(clock) -> None:
    """A new clock's first due instant (nothing is recorded yet)."""
    first = next_threshold(clock, set())
    clock.next_due_at = first.at if first else None


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


def _said(subject: str, to: Addressee) -> str:
    """The subject, saying who was passed over when the message went on to someone
    else at once. With nobody on any link it stays with the role as addressed, as
    before there was a rota: its nobody_on_duty (the payload, the JSON) says so."""
    if not to.nobody_on_duty or to.user_id is None:
        return subject
    said = f"{subject} ({rota.nobody_words(to.nobody_on_duty)})"
    return said if len(said) <= SUBJECT_LENGTH else said[:SUBJECT_LENGTH - 1] + "…"


def _channels(recipient: str, user_id: int | None = None) -> list[tuple[str, str, str | None]]:
    """(recipient, channel, target) for each copy: in-app always; the recipient
    role's email and webhook where configured; the person's own as "user:<id>".
    One copy a (recipient, channel), as the unique (effect, recipient, channel)
    asks: a service's own channel ("service_duty_lead:crisis_response") stands in
    for the every-service one ("service_duty_lead") of the same kind. Read once per
    unit of work (a request or a job), not once per effect."""
    if "spoa_channels" not in g:
        rows = db.session.execute(select(
            NotificationChannel.recipient, NotificationChannel.user_id, NotificationChannel.channel,
            NotificationChannel.target,
        ).where(NotificationChannel.is_active.is_(True)).order_by(NotificationChannel.id)).all()
        g.spoa_channels = [tuple(r) for r in rows]
    role = {}
    for wanted in (recipient, recipient.split(":")[0]):  # the service's own first
        for who, person, ch, target in g.spoa_channels:
            if person is None and who == wanted:
                role.setdefault(ch, (recipient, ch, target))
    own = [(f"user:{person}", ch, target) for _, person, ch, target in g.spoa_channels
           if person is not None and person == user_id]
    return [(recipient, "in_app", None)] + list(role.values()) + own


def _notification(referral, to: Addressee, recipient, channel, target, subject, at, **origin) -> Notification:
    delivered = channel == "in_app"  # shown on the pages as soon as it is committed
    return Notification(
        referral_id=referral.id, recipient=recipient, channel=channel, target=target, subject=subject,
        user_id=to.user_id, nobody_on_duty=to.nobody_on_duty,
        status="delivered" if delivered else "pending",
        delivered_at=at if delivered else None, next_attempt_at=None if delivered else at, **origin)


def _notify(referral, clock, effect: ClockEffect, threshold: Threshold, at) -> None:
    to = addressee(referral, recipient_for(referral, threshold), at)
    words = {"warning": f"{threshold.level}% of its time gone", "breach": "BREACHED",
             "escalation": f"still breached, escalated (level {threshold.level})"}[threshold.kind]
    if threshold.kind == "escalation" and threshold.level == current_policy().last_escalation_level:
        words = f"still breached, final reminder (level {threshold.level}): no more will be sent"
    subject = _said(f"{referral.reference}: {clock.name.replace('_', ' ')} clock {words}", to)
    for recipient, channel, target in _channels(to.recipient, to.user_id):
        effect.notifications.append(_notification(referral, to, recipient, channel, target, subject, at))
    # Ids and the clock only: never patient details in logs.
    log.info("clock %s referral_id=%s clock_id=%s level=%s recipient=%s user_id=%s nobody_on_duty=%s",
             threshold.kind, referral.id, clock.id, threshold.level, to.recipient, to.user_id,
             to.nobody_on_duty)


def alert(referral, recipient: str, subject: str, alert_id: str, at) -> list[Notification]:
    """A notification no clock produced (a flag raised, services/flags.py; a delay,
    delays.py; a failed delivery, delivery.py): to the person on duty as the
    recipient, through the same channels as a clock's, and no effect on any clock."""
    to = addressee(referral, recipient, at)
    subject = _said(subject, to)
    made = [_notification(referral, to, who, channel, target, subject, at, alert=alert_id, created_at=at)
            for who, channel, target in _channels(to.recipient, to.user_id)]
    referral.alerts.extend(made)
    log.info("alert %s referral_id=%s recipient=%s user_id=%s", alert_id, referral.id, to.recipient, to.user_id)
    return made


def advance(clock, at) -> list[ClockEffect]:
    """Record where ``clock`` stands at ``at`` (due_thresholds: at most the
    warnings, the breach and one escalation, however late the pass) and notify
    the last of them only, to the link the clock has reached. Sets the next due
    instant. The caller commits."""
    if not clock.is_running:
        clock.next_due_at = None
        return []
    with bound(referral_id=clock.referral_id):  # a pass advances many referrals' clocks: say whose
        return _advance(clock, at)


def _advance(clock, at) -> list[ClockEffect]:
    recorded = {(e.kind, e.level) for e in clock.effects}
    passed = due_thresholds(clock, recorded, at)
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
    following = next_threshold(clock, recorded)
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
    (a back-dated referral shows its warnings in the answer to its own POST)."""
    for clock in referral.clocks:
        if clock.is_running and clock.next_due_at is not None and clock.next_due_at <= at:
            advance(clock, at)
        elif not clock.is_running:
            clock.next_due_at = None


def acknowledge(referral, at, by_user=None) -> list:
    """A person has the escalation: pause the chain of each breached clock, and take
    every open in-app notification of those clocks (by ``by_user``; None: a service's
    system), so it leaves every inbox, whichever page it was acknowledged from."""
    paused, clock_ids = [], []
    for clock in referral.clocks:
        if clock.awaits_acknowledgement:
            clock.acknowledged_at, clock.next_due_at = at, None
            paused.append(clock.name)
            clock_ids.append(clock.id)
    if clock_ids:
        db.session.flush()  # the clocks' effects and notifications are rows before the UPDATE reads them
        inbox.mark_taken(Notification.effect_id.in_(
            select(ClockEffect.id).where(ClockEffect.clock_id.in_(clock_ids))), at,
            by_user.id if by_user is not None else None)
    return paused
