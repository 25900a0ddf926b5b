"""The duty rota: who holds each duty role at an instant.

A shift is [starts_at, ends_at): at a boundary the incoming holder has the duty,
so a breach at 20:00 goes to the night shift, never to the day shift going home.
Shifts of one duty (and service) never overlap (refused when written), so an
instant has at most one holder; an inactive user holds nothing.
"""
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, text

from spoa.domain import access
from spoa.domain.labels import route_name, words
from spoa.domain.policy import current_policy
from spoa.extensions import db
from spoa.models import DutyShift, User
from spoa.models.duty_shift import ON_CALL_MANAGER, SERVICE_DUTY_LEAD, SPOA_SUPERVISOR
from spoa.platform.timekeeping import day_words, span_words, to_uk
from spoa.schemas.form_input import one_error
from spoa.services.admin_change import CLI_ACTOR, record


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


def nobody_words(recipients) -> str:
    """The duties a notification passed over, in words: 'nobody on duty as Crisis
    response duty lead or SPOA supervisor' (its subject, the inbox's item)."""
    return f"nobody on duty as {' or '.join(duty_words(r) for r in recipients)}"



# --- the duties the rota covers (who may hold or edit each: spoa/domain/access.py) --------------

def recipient_of(duty: str, service: str | None) -> str:
    return f"{duty}:{service}" if service else duty


def covered_duties() -> list[str]:
    """Every duty the rota must cover, in chain order: each policy service's duty lead
    (not the voluntary route's, Policy.duty_route: its work is the on-duty
    organisations', STATUS15 17:50), the SPOA supervisor, the on-call manager."""
    policy = current_policy()
    return [recipient_of(SERVICE_DUTY_LEAD, code) for code in policy.services if code != policy.duty_route] + [
        SPOA_SUPERVISOR, ON_CALL_MANAGER]


def editable_duties(user: User | None) -> list[str]:
    """The duties (as recipients) ``user`` may add shifts to, in chain order."""
    return [r for r in covered_duties() if access.may_edit_duty(user, *split_recipient(r))]


def eligible_users(duty: str, service: str | None) -> list[User]:
    """Who may be put on ``duty``: the choices of the page's select."""
    role = "clinician" if duty == SERVICE_DUTY_LEAD else "supervisor"
    query = select(User).where(User.role == role, User.is_active.is_(True)).order_by(User.username)
    if duty == SERVICE_DUTY_LEAD:
        query = query.where(User.service == service)
    return list(db.session.scalars(query))


# --- adding and removing shifts -------------------------------------------------------

def shift_words(shift: DutyShift) -> str:
    """'Mon 1 Dec 08:00 – 20:00 sam' (the end's day too when it is another day)."""
    return f"{span_words(shift.starts_at, shift.ends_at)} {shift.user.username}"


def _lock(duty: str, service: str | None) -> None:
    """One writer at a time for one duty (and service) on PostgreSQL, held to the end
    of the transaction, so two overlapping shifts saved in the same instant cannot
    both pass the overlap check. SQLite serialises writers already."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha256(f"duty_shifts:{recipient_of(duty, service)}".encode()).digest()
    db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                       {"key": int.from_bytes(digest[:8], "big", signed=True)})


def _clash(duty: str, service: str | None, starts_at: datetime, ends_at: datetime) -> DutyShift | None:
    return db.session.scalar(
        select(DutyShift).where(
            DutyShift.duty == duty,
            DutyShift.service.is_(None) if service is None else DutyShift.service == service,
            DutyShift.starts_at < ends_at, DutyShift.ends_at > starts_at)
        .order_by(DutyShift.starts_at).limit(1))


def add_shift(*, duty: str, service: str | None, user: User, starts_at: datetime, ends_at: datetime,
              by: User | None) -> DutyShift:
    """A shift from schemas/rota.py's NewShiftSchema (duty, service and times checked
    there); by=None is the CLI. Refused beside its field: an editor who may not edit
    this duty, a person who may not hold it, a clash with a shift already there."""
    if by is not None and not access.may_edit_duty(by, duty, service):
        raise one_error("duty", f"You may not edit the rota of the {duty_words(recipient_of(duty, service))}")
    if not access.may_hold_duty(user, duty, service):
        raise one_error("username", _not_eligible(user, duty, service))
    try:
        _lock(duty, service)
        clash = _clash(duty, service, starts_at, ends_at)
        if clash is not None:
            raise one_error("starts_at", f"This overlaps the shift {shift_words(clash)} (id {clash.id}) "
                                         f"of the {duty_words(clash.recipient)}: a duty has one holder at a time")
        shift = DutyShift(duty=duty, service=service, user_id=user.id, starts_at=starts_at, ends_at=ends_at,
                          created_by=by.username if by else CLI_ACTOR)
        db.session.add(shift)
        db.session.flush()
        record(by, "duty_shift_added", shift_id=shift.id, duty=duty, service=service, user_id=user.id,
               username=user.username, starts_at=starts_at.isoformat(), ends_at=ends_at.isoformat())
        db.session.commit()
    except BaseException:
        db.session.rollback()  # the lock goes with the transaction; nothing half-stored
        raise
    return shift


def _not_eligible(user: User, duty: str, service: str | None) -> str:
    if not user.is_active:
        return f"{user.username} is deactivated"
    if duty == SERVICE_DUTY_LEAD:
        return (f"{user.username} cannot be the {duty_words(recipient_of(duty, service))}: "
                f"a service's duty lead is one of its clinicians")
    return (f"{user.username} cannot be the {duty_words(duty)}: the SPOA's duties are held by supervisors")


def remove_shift(shift_id: int, by: User | None) -> DutyShift:
    shift = db.session.get(DutyShift, shift_id)
    if shift is None:
        raise one_error("shift_id", f"There is no shift with id {shift_id}")
    if by is not None and not access.may_edit_duty(by, shift.duty, shift.service):
        raise one_error("shift_id", f"You may not edit the rota of the {duty_words(shift.recipient)}")
    words_ = shift_words(shift)
    db.session.execute(delete(DutyShift).where(DutyShift.id == shift.id))
    record(by, "duty_shift_removed", shift_id=shift.id, duty=shift.duty, service=shift.service,
           user_id=shift.user_id, starts_at=shift.starts_at.isoformat(), ends_at=shift.ends_at.isoformat(),
           shift=words_)
    db.session.commit()
    return shift


# --- reading the rota -------------------------------------------------------------

def shifts_between(start: datetime, end: datetime) -> list[DutyShift]:
    """Every shift that holds any instant of [start, end), by start."""
    return list(db.session.scalars(select(DutyShift).where(DutyShift.starts_at < end, DutyShift.ends_at > start)
                                   .order_by(DutyShift.starts_at, DutyShift.id)))


@dataclass(frozen=True)
class Spell:
    """One person (or nobody: user None) on a duty from ``start`` to ``end``."""
    start: datetime
    end: datetime
    user: User | None


def cover(start: datetime, end: datetime) -> dict[str, list[Spell]]:
    """Who holds each duty the rota must cover (covered_duties, in chain order) over
    [start, end): each holder's spell and each stretch nobody holds (user None), in
    time order. One query. The rules are holder()'s: half-open shifts, and a
    deactivated holder holds nothing."""
    rows = db.session.execute(
        select(DutyShift, User).join(User, User.id == DutyShift.user_id)
        .where(DutyShift.starts_at < end, DutyShift.ends_at > start, User.is_active.is_(True))
        .order_by(DutyShift.starts_at, DutyShift.id)).all()
    held: dict[str, list[tuple[datetime, datetime, User]]] = {}
    for shift, user in rows:
        held.setdefault(shift.recipient, []).append((max(shift.starts_at, start), min(shift.ends_at, end), user))
    found = {}
    for recipient in covered_duties():
        spells, cursor = [], start
        for s, e, user in held.get(recipient, []):
            if s > cursor:
                spells.append(Spell(cursor, s, None))
            if e > cursor:
                spells.append(Spell(max(s, cursor), e, user))
                cursor = e
        if cursor < end:
            spells.append(Spell(cursor, end, None))
        found[recipient] = spells
    return found


def gaps(start: datetime, end: datetime) -> dict[str, list[tuple[datetime, datetime]]]:
    """cover()'s stretches nobody holds, per duty in chain order; a duty covered
    throughout is left out."""
    found = {}
    for recipient, spells in cover(start, end).items():
        nobody = [(spell.start, spell.end) for spell in spells if spell.user is None]
        if nobody:
            found[recipient] = nobody
    return found


# --- the queue's warning ------------------------------------------------------------

WARN_AHEAD = timedelta(hours=12)  # the "now or in the next 12 hours"
_LOOK_BEYOND = timedelta(days=7)  # how far a gap's end is looked for (a shift's maximum)


def nobody_on_duty(at: datetime) -> list[str]:
    """Sentences for every duty nobody holds at ``at`` or at some time in the next
    12 hours, in chain order: 'Nobody is on duty as Crisis response duty lead from
    20:00 today to 08:00 tomorrow'. A gap's end is looked for up to a week on, so
    it says when someone takes over, not where the 12 hours stop."""
    horizon = at + _LOOK_BEYOND
    sentences = []
    for recipient, spans in gaps(at, horizon).items():
        for start, end in spans:
            if start >= at + WARN_AHEAD:
                break
            begin = "now" if start == at else f"from {_when(start, at)}"
            until = (f", for at least {_LOOK_BEYOND.days} days" if end == horizon
                     else f", until {_when(end, at)}" if start == at else f" to {_when(end, at)}")
            sentences.append(f"Nobody is on duty as {duty_words(recipient)} {begin}{until}")
    return sentences


def _when(instant: datetime, at: datetime) -> str:
    local, days = to_uk(instant), (to_uk(instant).date() - to_uk(at).date()).days
    return f"{local:%H:%M} " + ({0: "today", 1: "tomorrow"}.get(days) or f"on {day_words(local)}")
