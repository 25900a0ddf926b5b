"""A person's inbox (issue 15): the in-app notifications that still need someone.

One definition, used by the badge, /notifications and the handover page. A
notification is OPEN when all of these hold:
  - it is the in-app copy (email and webhook copies are the same message sent elsewhere);
  - nobody has taken it ("I have it": taken_at is None);
  - its referral is still open, and, for a clock's, the clock is still running
    (met or cancelled, there is nothing left to take);
  - for a clock's, it is that clock's newest in-app notification (a breach
    supersedes the warnings before it: one item a clock, not four).

It is a person's when it went to them (user_id), or it went to a duty with
nobody named (user_id None) and they hold that duty now, or they are a
supervisor (the SPOA's safety net for a chain nobody held). Whatever the
addressing, the person sees only referrals the access policy lets them read.
"""
from sqlalchemy import and_, exists, false, func, or_, select
from sqlalchemy.orm import aliased

from .. import access
from ..actor import Actor
from ..extensions import db
from ..lifecycle import OPEN_STATES
from ..models import Clock, ClockEffect, Notification, Referral, User
from ..models.clock import RUNNING_STATUSES
from . import rota


def is_open():
    """SQL condition on Notification (joined to Referral; ClockEffect and Clock outer-joined)."""
    newer_effect, newer = aliased(ClockEffect), aliased(Notification)
    superseded = exists().where(newer.effect_id == newer_effect.id, newer_effect.clock_id == ClockEffect.clock_id,
                                newer.channel == "in_app", newer.id > Notification.id)
    return and_(Notification.channel == "in_app", Notification.taken_at.is_(None),
                Notification.audit_event_id.is_(None), Referral.state.in_(OPEN_STATES),
                or_(Notification.effect_id.is_(None), and_(Clock.status.in_(RUNNING_STATUSES), ~superseded)))


def addressed_to(user: User, at):
    """SQL condition on Notification: it went to ``user``, or to a duty nobody
    held that they hold at ``at`` (or they are a supervisor)."""
    if user is None:
        return false()
    mine = [Notification.user_id == user.id]
    duties = rota.duties_of(user, at)
    if user.role == "supervisor":
        mine.append(Notification.user_id.is_(None))
    elif duties:
        mine.append(and_(Notification.user_id.is_(None), Notification.recipient.in_(duties)))
    return or_(*mine)


def _base(columns):
    return (select(*columns).select_from(Notification)
            .join(Referral, Referral.id == Notification.referral_id)
            .outerjoin(ClockEffect, ClockEffect.id == Notification.effect_id)
            .outerjoin(Clock, Clock.id == ClockEffect.clock_id))


def open_for(user: User, at, limit: int = 200):
    """A person's open notifications, newest first: what the badge counts."""
    actor = Actor.for_user(user)
    return db.session.scalars(_base([Notification]).where(
        is_open(), addressed_to(user, at), access.readable(actor))
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)).all()


def count_for(user: User, at) -> int:
    actor = Actor.for_user(user)
    return db.session.scalar(_base([func.count(Notification.id)]).where(
        is_open(), addressed_to(user, at), access.readable(actor))) or 0
