"""The duty rota: who holds each duty role at an instant (issue 15).

A shift is [starts_at, ends_at): at a boundary the incoming holder has the duty,
so a breach at 20:00 goes to the night shift, never to the day shift going home.
Shifts of one duty (and service) never overlap (refused when written), so an
instant has at most one holder; an inactive user holds nothing.
"""
from sqlalchemy import select

from ..extensions import db
from ..models import DutyShift, User
from ..models.duty_shift import ON_CALL_MANAGER, SERVICE_DUTY_LEAD, SPOA_SUPERVISOR
from ..reports.labels import route_name, words


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


# The SPOA's own duties, as a person reads them; a service's duty lead is named
# from the policy's route name (duty_words).
_SPOA_DUTY_WORDS = {SPOA_SUPERVISOR: "SPOA supervisor", ON_CALL_MANAGER: "On-call manager"}


def service_words(service: str) -> str:
    """A service's short name from the policy: 'Crisis response (2-hour urgent
    community response)' -> 'Crisis response' (the bracket explains the route,
    and reads badly before 'duty lead')."""
    return route_name(service).split(" (", 1)[0]


def duty_words(recipient: str) -> str:
    """The one way a duty is put in words: 'service_duty_lead:crisis_response'
    -> 'Crisis response duty lead', 'spoa_supervisor' -> 'SPOA supervisor',
    'on_call_manager' -> 'On-call manager'; anything else its code in words."""
    duty, service = split_recipient(recipient)
    if duty == SERVICE_DUTY_LEAD and service:
        return f"{service_words(service)} duty lead"
    return _SPOA_DUTY_WORDS.get(duty, words(recipient))
