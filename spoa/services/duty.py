"""The voluntary sector's duty rota: which organisation a voluntary_sector
referral is offered to, and the places it takes and gives back.

An organisation (a Service of kind voluntary) is on duty on its ``duty_days``
(UK dates, spoa.platform.timekeeping) and declares each day how many referrals it can take
(capacity.py). Offering one takes a place: ``capacity_in_use`` goes up by one,
in the caller's transaction. The rows are locked first (SELECT ... FOR UPDATE,
in id order, so every transaction takes them in the same order), so concurrent
referrals never take more places than were declared; SQLite runs one writer at
a time already (database.py begins every transaction IMMEDIATE).

Among the organisations with a place free, the one offered a referral least
recently goes first (never offered first, then by code): round robin. Callers
lock here before they change the referral, so the referral's own row is always
locked after the organisations'.
"""
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select

from spoa.domain.lifecycle import LifecycleError
from spoa.extensions import db
from spoa.models import Service
from spoa.platform.timekeeping import now, uk_date
from spoa.services import capacity

NONE_ON_DUTY = "No voluntary organisation is on duty today"
NONE_WITH_CAPACITY = "No voluntary organisation on duty has spare capacity today"
_NEVER = datetime.min.replace(tzinfo=UTC)


class NoOrganisation(Exception):
    """No organisation on duty today could take the referral; ``reason`` says why in plain words."""

    def __init__(self, reason: str, on_duty: list[str]):
        super().__init__(reason)
        self.reason = reason
        self.on_duty = on_duty  # codes on duty today (all of them full, or none)


def _locked(*also: str | None) -> list[Service]:
    """Every active voluntary organisation (and ``also``, active or not), locked, by id."""
    codes = [c for c in also if c]
    stmt = (select(Service)
            .where(Service.kind == "voluntary", or_(Service.is_active, Service.code.in_(codes)))
            .order_by(Service.id)
            .with_for_update()
            # Rows already in the session (a long unit of work, a test) are read afresh
            # under the lock: the count to trust is the one just locked, not one read earlier.
            .execution_options(populate_existing=True))
    return list(db.session.scalars(stmt))


def has_room(org: Service, day) -> bool:
    return bool(capacity.declared_today(org, day))  # None (not declared today) or 0: no room


def _take(org: Service, referral, everyone: list[Service]) -> None:
    """One place at ``org`` for this referral. Its last_offered_at becomes the
    latest of all, even when the clock reads the same instant twice, so the
    round robin moves on."""
    at = now()
    latest = max((o.last_offered_at for o in everyone if o.last_offered_at), default=None)
    org.capacity_in_use += 1
    org.last_offered_at = at if latest is None or at > latest else latest + timedelta(microseconds=1)
    referral.assigned_service = org.code


def _taken_on(referral, code: str):
    """The UK date the referral took its place at ``code`` (the latest offer or reassign naming it)."""
    for event in reversed(referral.history):
        if event.event in ("offer", "reassign") and (event.detail or {}).get("organisation") == code:
            return uk_date(event.at or now())
    return None


def _give_back(org: Service, referral, day) -> bool:
    """Release the place if it was taken today and today's declaration still counts it."""
    if org.capacity_for == day and _taken_on(referral, org.code) == day and org.capacity_in_use > 0:
        org.capacity_in_use -= 1
        return True
    return False


def _turn(org: Service):
    """Round robin: never offered first, then least recently offered, then by code."""
    return (org.last_offered_at is not None, org.last_offered_at or _NEVER, org.code)


def offer(referral) -> Service:
    """Offer the referral to an organisation on duty today with a place free,
    taking the place. Raises NoOrganisation (nothing changed) when there is none."""
    day = capacity.today()
    orgs = _locked()
    on_duty = [o for o in orgs if o.is_active and capacity.on_duty(o, day)]
    if not on_duty:
        raise NoOrganisation(NONE_ON_DUTY, [])
    free = [o for o in on_duty if has_room(o, day)]
    if not free:
        raise NoOrganisation(NONE_WITH_CAPACITY, [o.code for o in on_duty])
    chosen = min(free, key=_turn)
    _take(chosen, referral, orgs)
    return chosen


def release(referral) -> dict | None:
    """The referral is leaving its organisation (handed back, re-routed, closed):
    give back its place if it took it today and the declaration is still today's.
    The caller clears ``assigned_service`` once its event is fired (the
    organisation's own hand-back needs it until then). Returns what the audit
    should say, or None when it was with no organisation."""
    code = referral.assigned_service
    if not code:
        return None
    org = db.session.scalars(select(Service).where(Service.code == code).with_for_update()
                             .execution_options(populate_existing=True)).first()
    released = _give_back(org, referral, capacity.today()) if org is not None else False
    return {"organisation": code, "organisation_name": org.name if org else code, "place_released": released}


def reassign(referral, code: str | None) -> dict:
    """Move the referral (and its place) to another organisation on duty today.
    Checks everything before changing anything; raises LifecycleError."""
    code = (code or "").strip()
    if not code:
        raise LifecycleError("Choose the organisation on duty to reassign it to.", 422, "service")
    old_code = referral.assigned_service
    day = capacity.today()
    orgs = _locked(old_code)
    new = next((o for o in orgs if o.code == code and o.is_active), None)
    if new is None:
        raise LifecycleError(f"{code} is not an active voluntary organisation.", 422, "service")
    if code == old_code:
        raise LifecycleError(f"It is already offered to {new.name}: choose another organisation.", 422, "service")
    if not capacity.on_duty(new, day):
        raise LifecycleError(f"{new.name} is not on duty today.", 409, "service")
    if not has_room(new, day):
        raise LifecycleError(f"{new.name} has no spare capacity today.", 409, "service")
    old = next((o for o in orgs if o.code == old_code), None)
    released = _give_back(old, referral, day) if old is not None else False
    _take(new, referral, orgs)
    return {"organisation": new.code, "organisation_name": new.name, "previous_organisation": old_code,
            "previous_place_released": released}


def organisation(code: str | None) -> Service | None:
    """A voluntary organisation by code, active or not (for names in the audit)."""
    if not code:
        return None
    return db.session.scalar(select(Service).where(Service.code == code, Service.kind == "voluntary"))


def organisations_on_duty(day=None) -> list[Service]:
    """Today's duty organisations (active), by name: for the reassign choice."""
    day = day or capacity.today()
    orgs = db.session.scalars(select(Service).where(Service.kind == "voluntary", Service.is_active)
                              .order_by(Service.name)).all()
    return [o for o in orgs if capacity.on_duty(o, day)]
