"""A person's inbox: the in-app notifications that still need someone.

One definition, used by the badge, /notifications and the handover page. A
notification is OPEN when all of these hold:
  - it is the in-app copy (email and webhook copies are the same message sent elsewhere);
  - nobody has taken it ("I have it": taken_at is None);
  - its referral is still open, and, for a clock's, the clock is still running
    (met or cancelled, there is nothing left to take);
  - for a clock's, it is that clock's newest in-app notification (a breach
    supersedes the warnings before it: one item a clock, not four).

It is a person's when it went to them (user_id), or it went to a duty they
hold now (what the last holder left untaken is handed over with the shift:
the incoming holder sees it, and so does the one who went home), or it named
nobody and they are a supervisor (the SPOA's safety net for a chain nobody held). Whatever the
addressing, the person sees only referrals the access policy lets them read.
"""
from datetime import timedelta

from sqlalchemy import and_, exists, false, func, or_, select, update
from sqlalchemy.orm import aliased, contains_eager, selectinload

from spoa.domain import access
from spoa.domain.actor import Actor
from spoa.domain.lifecycle import OPEN_STATES
from spoa.extensions import db
from spoa.models import Clock, ClockEffect, Notification, Referral, User
from spoa.models.clock import RUNNING_STATUSES
from spoa.services import rota
from spoa.services.announce import inbox_changed

RECENTLY_TAKEN = timedelta(hours=12)  # how far back /notifications shows who took what


def _superseded():
    """SQL condition: a newer in-app notification of the same clock exists."""
    newer_effect, newer = aliased(ClockEffect), aliased(Notification)
    return exists().where(newer.effect_id == newer_effect.id, newer_effect.clock_id == ClockEffect.clock_id,
                          newer.channel == "in_app", newer.id > Notification.id)


def is_open():
    """SQL condition on Notification (joined to Referral; ClockEffect and Clock outer-joined)."""
    return and_(Notification.channel == "in_app", Notification.taken_at.is_(None),
                Notification.audit_event_id.is_(None), Referral.state.in_(OPEN_STATES),
                or_(Notification.effect_id.is_(None), and_(Clock.status.in_(RUNNING_STATUSES), ~_superseded())))


def addressed_to(user: User, at):
    """SQL condition on Notification: it went to ``user``, or to a duty they hold
    at ``at`` (whoever it named then), or it named nobody and they are a supervisor."""
    if user is None:
        return false()
    mine = [Notification.user_id == user.id]
    duties = rota.duties_of(user, at)
    if duties:
        mine.append(Notification.recipient.in_(duties))
    if user.role == "supervisor":
        mine.append(Notification.user_id.is_(None))
    return or_(*mine)


def _base(columns):
    return (select(*columns).select_from(Notification)
            .join(Referral, Referral.id == Notification.referral_id)
            .outerjoin(ClockEffect, ClockEffect.id == Notification.effect_id)
            .outerjoin(Clock, Clock.id == ClockEffect.clock_id))


def _as_listed():
    """What a list of notifications shows of each (its referral's reference, who it went
    to, who took it), loaded with the list: a page of them costs the same few queries as one."""
    return (contains_eager(Notification.referral), selectinload(Notification.user),
            selectinload(Notification.taken_by))


def open_for(user: User, at, limit: int = 200):
    """A person's open notifications, newest first: what the badge counts."""
    actor = Actor.for_user(user)
    return db.session.scalars(_base([Notification]).where(
        is_open(), addressed_to(user, at), access.readable(actor)).options(*_as_listed())
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)).all()


def mine(user: User, at, notification_id: int):
    """SELECT of one in-app notification in this person's inbox, open or not (taken since,
    or moved on): None for someone else's, or a referral the access policy hides."""
    return _base([Notification]).where(
        Notification.id == notification_id, Notification.channel == "in_app",
        Notification.audit_event_id.is_(None), addressed_to(user, at), access.readable(Actor.for_user(user)))


def still_open(notification: Notification) -> bool:
    return bool(db.session.scalar(_base([func.count(Notification.id)]).where(
        Notification.id == notification.id, is_open())))


def count_for(user: User, at) -> int:
    """The badge: counted open referral by open referral (bench/growth.py). Every
    notification ever kept stays untaken once its clock is met, and a supervisor's
    "named nobody" matches most of them, so a plain join let PostgreSQL read them
    all once there were tens of thousands (180 ms a page at 20,000 referrals). A
    correlated count per open referral reads only their notifications, by
    ix_notifications_referral_id, however long the history."""
    actor = Actor.for_user(user)
    per_referral = (select(func.count(Notification.id)).select_from(Notification)
                    .outerjoin(ClockEffect, ClockEffect.id == Notification.effect_id)
                    .outerjoin(Clock, Clock.id == ClockEffect.clock_id)
                    .where(Notification.referral_id == Referral.id, is_open(), addressed_to(user, at))
                    .correlate(Referral).scalar_subquery())
    total = db.session.scalar(select(func.coalesce(func.sum(per_referral), 0)).select_from(Referral).where(
        Referral.state.in_(OPEN_STATES), access.readable(actor)))
    return int(total or 0)  # PostgreSQL's sum of counts is numeric (a Decimal): the badge's JSON wants an int


def recently_taken(user: User, at, within=RECENTLY_TAKEN):
    """What was taken on the chains this person is on, in the last ``within``: so
    everyone else on a chain sees who took it. One item a clock (its newest), newest
    taken first; only referrals the access policy lets them read."""
    mine = aliased(Notification)
    on_my_chain = exists().where(mine.referral_id == Notification.referral_id, mine.channel == "in_app",
                                 or_(mine.user_id == user.id, mine.id == Notification.id))
    return db.session.scalars(_base([Notification]).where(
        Notification.channel == "in_app", Notification.audit_event_id.is_(None),
        Notification.taken_at.is_not(None), Notification.taken_at >= at - within,
        or_(Notification.effect_id.is_(None), ~_superseded()),
        or_(addressed_to(user, at), on_my_chain), access.readable(Actor.for_user(user))).options(*_as_listed())
        .order_by(Notification.taken_at.desc(), Notification.id.desc()).limit(50)).all()


def mark_taken(condition, at, by_user_id) -> int:
    """Mark the open in-app notifications matching ``condition`` (SQL on Notification)
    taken by ``by_user_id`` (None: a service's system) at ``at``. One conditional UPDATE:
    of two people pressing at once only one takes each row (the other's matches none).
    Returns how many this call took. The caller commits."""
    result = db.session.execute(
        update(Notification).where(condition, Notification.channel == "in_app", Notification.taken_at.is_(None))
        .values(taken_at=at, taken_by_user_id=by_user_id).execution_options(synchronize_session=False))
    if result.rowcount:
        inbox_changed(db.session)
    return result.rowcount


def take(notification: Notification, user: User, at) -> bool:
    """ "I have it" on a warning or an alert (nothing to pause): marked taken, committed.
    False if someone else took it first. A breach waiting for a person is not taken
    here: it is the lifecycle's acknowledge_escalation (services/actions.py), which
    marks its clock's notifications through acknowledge below."""
    took = mark_taken(Notification.id == notification.id, at, user.id)
    db.session.commit()
    db.session.refresh(notification)
    return bool(took)


def acknowledge(referral, at, by_user=None) -> list:
    """A person has the escalation: pause the chain of each breached clock, and take
    every open in-app notification of those clocks (by ``by_user``; None: a service's
    system), so it leaves every inbox, whichever page it was acknowledged from.
    Returns the names of the clocks paused."""
    paused, clock_ids = [], []
    for clock in referral.clocks:
        if clock.awaits_acknowledgement:
            clock.acknowledged_at, clock.next_due_at = at, None
            paused.append(clock.name)
            clock_ids.append(clock.id)
    if clock_ids:
        db.session.flush()  # the clocks' effects and notifications are rows before the UPDATE reads them
        mark_taken(Notification.effect_id.in_(
            select(ClockEffect.id).where(ClockEffect.clock_id.in_(clock_ids))), at,
            by_user.id if by_user is not None else None)
    return paused
