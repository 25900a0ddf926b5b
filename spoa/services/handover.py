"""What an incoming supervisor is handed: for a window (their shift),
the breached clocks of open referrals and who took each, the clocks falling due
in the window, the open alerts, and who holds each duty (and where nobody does).

A few queries for the whole page, whatever its length: each list is one query
(referral and clock together), who acknowledged is one query over the listed
referrals' audit rows and one over their taken notifications, and the rota one
query over the shifts overlapping the window (rota.cover). Every referral is read through
the access policy (access.readable), as on every other surface.
"""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from spoa.domain import access
from spoa.domain.actor import Actor
from spoa.domain.lifecycle import OPEN_STATES
from spoa.domain.policy import current_policy
from spoa.extensions import db
from spoa.models import AuditEvent, Clock, ClockEffect, DutyShift, Notification, Referral, User
from spoa.models.duty_shift import SPOA_SUPERVISOR
from spoa.notifications import inbox
from spoa.platform.timekeeping import now
from spoa.services import rota

LOOK_AHEAD = timedelta(hours=12)  # a shift starting later than this is not the one being handed over


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    shift: DutyShift | None = None  # the supervisor's own shift it is, if it is one


@dataclass
class Item:
    referral: Referral
    clock: Clock | None = None
    notification: Notification | None = None
    acknowledged_by: str | None = None  # a username, or the audit row's actor name


@dataclass
class Group:
    route: str | None
    items: list = field(default_factory=list)


@dataclass
class Handover:
    window: Window
    produced_at: datetime
    breached: list[Group]
    due: list[Group]
    alerts: list[Group]
    duties: dict[str, list[rota.Spell]]  # rota.cover(): who holds each duty over the window


def default_window(user, at) -> Window:
    """The supervisor's current shift, or their next one starting within 12 hours;
    with neither, the next 12 hours from ``at``."""
    shift = db.session.scalar(
        select(DutyShift).where(DutyShift.user_id == user.id, DutyShift.duty == SPOA_SUPERVISOR,
                                DutyShift.ends_at > at, DutyShift.starts_at <= at + LOOK_AHEAD)
        .order_by(DutyShift.starts_at).limit(1))
    if shift is not None:
        return Window(shift.starts_at, shift.ends_at, shift)
    return Window(at, at + LOOK_AHEAD)


def build(user, window: Window) -> Handover:
    actor = Actor.for_user(user)
    readable = access.readable(actor)
    open_referral = Referral.state.in_(OPEN_STATES)

    breached = db.session.execute(
        select(Clock, Referral).join(Referral, Referral.id == Clock.referral_id)
        .where(Clock.status == "breached", open_referral, readable)
        .order_by(Clock.deadline, Clock.id)).all()
    due = db.session.execute(
        select(Clock, Referral).join(Referral, Referral.id == Clock.referral_id)
        .where(Clock.status.in_(("running", "warned")), Clock.deadline >= window.start,
               Clock.deadline < window.end, open_referral, readable)
        .order_by(Clock.deadline, Clock.id)).all()
    # inbox's own joins, so "open" is inbox.is_open() and nothing else.
    alerts = db.session.execute(
        inbox._base([Notification, Referral]).where(
            Notification.effect_id.is_(None), Notification.alert.is_not(None), inbox.is_open(), readable)
        .order_by(Notification.created_at, Notification.id)).all()

    takers = _acknowledged_by([clock for clock, _ in breached])
    return Handover(
        window=window, produced_at=now(),
        breached=_grouped(Item(r, clock=c, acknowledged_by=takers.get(c.id)) for c, r in breached),
        due=_grouped(Item(r, clock=c) for c, r in due),
        alerts=_grouped(Item(r, notification=n) for n, r in alerts),
        duties=rota.cover(window.start, window.end))


def _grouped(items) -> list[Group]:
    """By route, in the policy's order of routes; within a route, as the query ordered them."""
    groups: dict = {}
    for item in items:
        route = item.clock.route if item.clock is not None and item.clock.route else item.referral.route
        groups.setdefault(route, Group(route)).items.append(item)
    order = list(current_policy().routes)
    return sorted(groups.values(), key=lambda g: (order.index(g.route) if g.route in order else len(order),
                                                  g.route or ""))


def _acknowledged_by(clocks) -> dict[int, str]:
    """clock id -> who took its escalation: the acknowledge_escalation audit row
    that paused it (the referral page, or "I have it"), else whoever took one of
    its notifications. Two queries for every clock listed."""
    acked = [c for c in clocks if c.acknowledged_at is not None]
    if not acked:
        return {}
    events = db.session.execute(
        select(AuditEvent.referral_id, AuditEvent.at, AuditEvent.actor_name, AuditEvent.detail)
        .where(AuditEvent.event == "acknowledge_escalation",
               AuditEvent.referral_id.in_({c.referral_id for c in acked}))
        .order_by(AuditEvent.at, AuditEvent.id)).all()
    taken = db.session.execute(
        select(ClockEffect.clock_id, User.username).select_from(Notification)
        .join(ClockEffect, ClockEffect.id == Notification.effect_id)
        .join(User, User.id == Notification.taken_by_user_id)
        .where(ClockEffect.clock_id.in_([c.id for c in acked]))
        .order_by(Notification.taken_at)).all()
    by_clock = {}
    for clock_id, username in taken:
        by_clock.setdefault(clock_id, username)
    for clock in acked:
        # The row naming this clock among those it paused, written when it was paused
        # (the pause and the row are one unit of work: the first at or after it).
        for referral_id, at, actor_name, detail in events:
            if (referral_id == clock.referral_id and at >= clock.acknowledged_at - timedelta(seconds=1)
                    and clock.name in ((detail or {}).get("clocks") or [])):
                by_clock[clock.id] = actor_name
                break
    return by_clock
