"""Open discharge referrals for the queue's tests, made as intake 1.1 will store them.

Until intake 1.1 is on main, a community referral is posted through the API and its
row then given the discharge columns (kind, hospital, ward, dates, pathways); the
queue reads only those columns, so its tests need nothing else of the discharge."""
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from spoa.clocks import now, uk_date
from spoa.models import Referral


@dataclass(frozen=True)
class Made:
    id: uuid.UUID
    reference: str


def make_discharge(db, post, *, hospital_ods: str = "RNS01", hospital_name: str | None = "Northampton General Hospital",
                   ward: str = "Talbot Butler", drd_in_days: int | None = 1, pathway: int | None = 1,
                   proposed_pathway: int | None = None, route: str | None = "home_rehab",
                   discharged_at: datetime | None = None, **fields) -> Made:
    """An open discharge referral; ``drd_in_days`` None: readiness withdrawn. ``fields``: the
    community referral's own body (post's)."""
    created = post(**fields)
    referral = db.session.get(Referral, uuid.UUID(created["id"]))
    today = uk_date(now())
    referral.kind = "discharge"
    referral.source = "acute"
    referral.discharge = {"hospital_ods": hospital_ods, "ward": ward, **({"hospital_name": hospital_name}
                                                                           if hospital_name else {})}
    referral.hospital_ods, referral.ward = hospital_ods, ward
    referral.admitted_on = today - timedelta(days=7)
    referral.discharge_ready_date = None if drd_in_days is None else today + timedelta(days=drd_in_days)
    referral.readiness_withdrawn_at = now() if drd_in_days is None else None
    referral.pathway, referral.proposed_pathway = pathway, proposed_pathway
    referral.discharged_at = discharged_at
    if route is not None:
        referral.route = route
    db.session.commit()
    return Made(referral.id, referral.reference)


def day(offset: int) -> date:
    return uk_date(now()) + timedelta(days=offset)


def record_delay(db, referral_id, reason: str) -> None:
    """Today's delay reason, as the ward records it. (Until the clocks helper's `delay`
    event is on main: the DelayedDay row it writes, committed.)"""
    from spoa.models import DelayedDay

    db.session.add(DelayedDay(referral_id=referral_id, day=uk_date(now()), reason=reason, recorded_by="ward",
                              recorded_at=now()))
    db.session.commit()
    db.session.remove()


def record_discharge(db, referral_id, *, closes: bool = False) -> None:
    """The ward records the discharge. (Until the `discharged` event is on main: the
    columns it sets; ``closes`` as on discharge_simple.)"""
    referral = db.session.get(Referral, referral_id)
    referral.discharged_at = now()
    if closes:
        referral.state = "completed"
    db.session.commit()
    db.session.remove()
