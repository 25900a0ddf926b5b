"""The duty rota: who holds each duty role at an instant (issue 15).

A shift is [starts_at, ends_at): at a boundary the incoming holder has the duty,
so a breach at 20:00 goes to the night shift, never to the day shift going home.
Shifts of one duty (and service) never overlap (refused when written), so an
instant has at most one holder; an inactive user holds nothing.
"""
from sqlalchemy import select

from ..extensions import db
from ..models import DutyShift, User
from ..models.duty_shift import SERVICE_DUTY_LEAD


def split_recipient(recipient: str) -> tuple[str, str | None]:
    """'service_duty_lead:crisis_response' -> ('service_duty_lead', 'crisis_response')."""
    duty, _, service = recipient.partition(":")
    return duty, (service or None)


def holder(duty: str, service: str | None, at) -> User | None:
    """The person on ``duty`` (for ``service``, a duty lead's) at instant ``at``, or None."""
    if (duty == SERVICE_DUTY_LEAD) != (service is not None):
        return None
    return db.session.scalar(
        select(User).join(DutyShift, DutyShift.user_id == User.id)
        .where(DutyShift.duty == duty,
               DutyShift.service.is_(None) if service is None else DutyShift.service == service,
               DutyShift.starts_at <= at, DutyShift.ends_at > at, User.is_active.is_(True))
        .order_by(DutyShift.starts_at.desc()).limit(1))


def duties_of(user, at) -> list[str]:
    """The duties ``user`` holds at ``at``, as recipients ('spoa_supervisor',
    'service_duty_lead:crisis_response'): their inbox shows what went to those
    duties with nobody named."""
    if user is None or not user.is_active:
        return []
    rows = db.session.scalars(select(DutyShift).where(
        DutyShift.user_id == user.id, DutyShift.starts_at <= at, DutyShift.ends_at > at))
    return sorted({row.recipient for row in rows})
