"""Capacity per service, as its team declares it, and what the queue shows of it.

Clinical services declare how many (visits this shift, beds, slots, packages)
and how many are in use. Voluntary organisations on the duty rota declare how
many referrals they can take today; SPOA counts each one it offers them (see
duty.py). A declaration is an update of the service row and an audit event, in
one transaction; the live queue hears of it through the session (spoa.live).
"""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from spoa.domain import audit
from spoa.domain.actor import Actor
from spoa.domain.lifecycle import OPEN_STATES
from spoa.extensions import db
from spoa.models import CapacityDeclaration, Referral, Service
from spoa.platform.timekeeping import now, uk_date

UNITS = {
    "crisis_response": "visits this shift",
    "mental_health_crisis": "visits this shift",
    "home_rehab": "home rehab slots",
    "bed_rehab": "community beds",
    "reablement": "reablement packages",
    "care_home_assessment": "care-home assessment beds",
}
VOLUNTARY_UNIT = "referrals today"


def today() -> date:
    return uk_date(now())


def unit_of(service: Service) -> str:
    return VOLUNTARY_UNIT if service.kind == "voluntary" else UNITS.get(service.code, "places")


def declare(service: Service, total: int, in_use: int | None, by: Actor, via: str) -> None:
    """Record a declaration and commit (numbers from schemas.capacity.load_declaration)."""
    # The same row lock duty.py takes to offer a place: a declaration made as a
    # referral is offered cannot lose that offer's count.
    db.session.refresh(service, with_for_update=True)
    if service.kind == "voluntary":
        in_use = service.capacity_in_use if service.capacity_for == today() else 0
    before = {"total": service.capacity_total, "in_use": service.capacity_in_use}
    service.capacity_total, service.capacity_in_use = total, in_use
    service.capacity_unit = unit_of(service)
    service.capacity_for = today()
    service.capacity_updated_at, service.capacity_updated_by = now(), by.name
    db.session.add(CapacityDeclaration(service_code=service.code, at=service.capacity_updated_at, day=today(),
                                       total=total, in_use=in_use, declared_by=by.name, via=via))
    audit.record(by, "capacity_declared", detail={"service": service.code, "before": before,
                                                   "after": {"total": total, "in_use": in_use}, "via": via})
    db.session.commit()


def on_duty(service: Service, day: date) -> bool:
    return service.kind == "voluntary" and day.isoweekday() in (service.duty_days or [])


def declared_today(service: Service, day: date) -> int | None:
    """Free places counted for ``day``: a voluntary declaration from another day counts as none made."""
    if service.kind == "voluntary" and service.capacity_for != day:
        return None
    return service.capacity_free


@dataclass(frozen=True)
class BoardLine:
    code: str
    name: str
    kind: str
    unit: str
    total: int | None
    in_use: int
    free: int | None
    updated_at: object
    updated_by: str | None
    on_duty: bool
    open_referrals: int


def _line(s: Service, day: date, open_referrals: int) -> BoardLine:
    fresh = s.kind != "voluntary" or s.capacity_for == day  # yesterday's declaration says nothing today
    return BoardLine(
        code=s.code, name=s.name, kind=s.kind, unit=unit_of(s),
        total=s.capacity_total if fresh else None, in_use=s.capacity_in_use if fresh else 0,
        free=declared_today(s, day), updated_at=s.capacity_updated_at, updated_by=s.capacity_updated_by,
        on_duty=on_duty(s, day), open_referrals=open_referrals)


_HOLDER = func.coalesce(Referral.assigned_service, Referral.route)  # an organisation, else the route


def board() -> list[BoardLine]:
    """Every active clinical service's capacity and use, and today's duty organisations."""
    day = today()
    services = db.session.scalars(select(Service).where(Service.is_active).order_by(Service.kind, Service.name)).all()
    open_counts = dict(db.session.execute(
        select(_HOLDER, func.count()).where(Referral.state.in_(OPEN_STATES)).group_by(_HOLDER)).all())
    lines = [_line(s, day, open_counts.get(s.code, 0)) for s in services]
    return [line for line in lines if line.kind == "clinical" or line.on_duty]


def line_of(service: Service) -> BoardLine:
    """One service's line of the board (after a declaration)."""
    count = db.session.scalar(select(func.count()).select_from(Referral)
                              .where(Referral.state.in_(OPEN_STATES), _HOLDER == service.code))
    return _line(service, today(), count)


def service_by_code(code: str) -> Service | None:
    return db.session.scalar(select(Service).where(Service.code == code, Service.is_active))

