"""Rows for the capacity, discharge and ambulance reports' tests, inserted directly
with the instants a test gives (no HTTP, no rules): each test hand-counts what it
made. The caller commits (``db.session.commit()``).

Instants are UTC (``utc(...)``) or UK wall time (``uk(...)``), so a test says which
it means at a clock change."""
import uuid
from datetime import UTC, date, datetime, timedelta

from spoa.extensions import db
from spoa.models import AuditEvent, CapacityDeclaration, Clock, DelayedDay, Referral, Service
from spoa.platform.timekeeping import UK, uk_date


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def uk(*parts) -> datetime:
    """A UK wall-clock time (GMT or BST, as that day is), as its UTC instant."""
    return datetime(*parts, tzinfo=UK).astimezone(UTC)


def referral(received_at: datetime, *, source: str = "gp", route: str | None = "crisis_response",
             state: str = "offered", **columns) -> Referral:
    """A community referral received at ``received_at`` (any Referral column may be given)."""
    row = Referral(
        reference=f"R{uuid.uuid4().hex[:12].upper()}", source=source, source_reference=uuid.uuid4().hex,
        content_hash=uuid.uuid4().hex, channel="api", received_at=received_at, created_at=received_at,
        updated_at=received_at, state=state, route=route, urgency="urgent", given_name="Test",
        family_name="Patient", date_of_birth=date(1940, 1, 1), postcode="NN1 1AA", presenting_need="other",
        consent=True, red_flags=[], **columns)
    db.session.add(row)
    return row


def emas(received_at: datetime, category: int, **columns) -> Referral:
    return referral(received_at, source="emas", emas_category=category, **columns)


def discharge(discharged_at: datetime | None, *, drd: date | None, referred_drd: date | None = None,
              pathway: int | None = 1, route: str = "home_rehab", hospital_ods: str = "RNS01",
              hospital_name: str | None = "Northampton General Hospital", received_at: datetime | None = None,
              source: str = "acute", **columns) -> Referral:
    """A hospital discharge that left hospital at ``discharged_at`` (None: still in).
    ``drd`` is the current discharge ready date (None: readiness withdrawn);
    ``referred_drd`` the one it was referred with (default ``drd``)."""
    referred = referred_drd or drd
    received = received_at or ((discharged_at or utc(2026, 7, 1)) - timedelta(days=3))
    section = {"hospital_ods": hospital_ods, "hospital_name": hospital_name, "ward": "Talbot Butler",
               "discharge_ready_date": referred.isoformat() if referred else None}
    return referral(received, source=source, route=route, kind="discharge", discharge=section,
                    hospital_ods=hospital_ods, ward="Talbot Butler", discharge_ready_date=drd, pathway=pathway,
                    discharged_at=discharged_at, **columns)


def event(row: Referral, name: str, at: datetime, detail: dict | None = None, **columns) -> AuditEvent:
    found = AuditEvent(referral=row, event=name, at=at, actor_kind="system", actor_name="test", detail=detail,
                       **columns)
    if name == "first_contact" and row.first_contact_at is None:
        row.first_contact_at = at  # the first one's time, as services/events.py keeps it
    db.session.add(found)
    return found


def clock(row: Referral, name: str, *, started_at: datetime, deadline: datetime, met_at: datetime | None = None,
          **columns) -> Clock:
    columns.setdefault("status", "met" if met_at else "running")
    columns.setdefault("route", row.route)  # as deadlines._new_clock: the route it is started for
    found = Clock(referral=row, name=name, counts="24/7", met_by=[], started_at=started_at, deadline=deadline,
                  met_at=met_at, created_at=started_at, received_at=row.received_at, **columns)
    db.session.add(found)
    return found


def delayed(row: Referral, day: date, reason: str | None) -> DelayedDay:
    found = DelayedDay(referral=row, day=day, reason=reason)
    db.session.add(found)
    return found


def service(code: str, name: str, kind: str = "clinical", **columns) -> Service:
    found = Service(code=code, name=name, kind=kind, **columns)
    db.session.add(found)
    return found


def declaration(code: str, at: datetime, total: int, in_use: int) -> CapacityDeclaration:
    found = CapacityDeclaration(service_code=code, at=at, day=uk_date(at), total=total, in_use=in_use,
                                declared_by="team lead", via="page")
    db.session.add(found)
    return found
