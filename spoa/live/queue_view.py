"""What the live queue shows for each open referral, computed in one place for the
first render, the Server-Sent Events and the tests.

A row carries instants, not colours: the browser ticks the countdown and turns a
row amber at ``amber_at`` and red at ``deadline`` by itself, so a page stays right
between events. Working-hours clocks are why ``amber_at`` is computed here: 75% of
a working-hours window is not 75% of the wall-clock time.
"""
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from spoa.domain.discharge_days import delayed_days, standing
from spoa.domain.lifecycle import OPEN_STATES
from spoa.domain.policy import current_policy, current_working_hours
from spoa.extensions import db
from spoa.models import Clock, DelayedDay, Referral
from spoa.models.clock import running
from spoa.platform.timekeeping import age_in_years, now, point_in_window, uk_date

PUSH_LANE = "push"
REVIEW_LANE = "review"
MAIN_LANE = "main"
DISCHARGE_LANE = "discharge"
LANES = (PUSH_LANE, REVIEW_LANE, DISCHARGE_LANE, MAIN_LANE)  # as the page shows them
# The lane's pathway keys (filters, counts, data-pathway): 0-3, and "none" where a
# person must decide (supervisor review: the route, so the pathway, is not set yet).
PATHWAY_KEYS = ("0", "1", "2", "3", "none")
WELFARE_CLOCK = "welfare_check"  # clocks.yaml: first contact within 24 h of the recorded discharge
VALIDATION_CLOCK = "validation"  # a pushed call's: due at its breach time (the policy's default without one)
# A pushed call in one of these states is not taken yet: the ambulance service still holds
# the patient on its stack, and takes the call back at its breach time.
UNTAKEN_STATES = ("received", "in_review", "triaged", "offered")


def lane_of(kind: str, route: str | None, state: str, review_route: str) -> str:
    """Which lane a referral is in: the one definition, for the first render, the live
    changes and the tests. A hospital discharge is in the discharges' lane whatever its
    route (one a supervisor must route included), so the community lanes never hold one;
    a 999 call the ambulance service pushed is in the pushed calls' lane, likewise."""
    if kind == "discharge":
        return DISCHARGE_LANE
    if kind == "pushed_call":
        return PUSH_LANE
    return REVIEW_LANE if route == review_route or state == "in_review" else MAIN_LANE


def pathway_key(pathway: int | None) -> str:
    return "none" if pathway is None else str(pathway)


@dataclass(slots=True)
class DischargeInfo:
    """What the discharges' lane shows beyond a community row (None on those)."""
    hospital_ods: str
    hospital_name: str | None
    ward: str
    pathway: int | None         # reached by the route set (None: a person decides)
    proposed_pathway: int | None  # the ward's view: shown beside it, never deciding
    ready_date: date | None     # the current DRD; None while readiness is withdrawn
    days_to_ready: int | None   # DRD minus today (UK)
    discharged_at: datetime | None
    delayed_days: int           # services/delays.py's, the one definition
    reason: str | None          # the latest delay reason recorded (a code), if any
    reason_day: date | None     # the day it was recorded for
    welfare_due: datetime | None  # the running welfare check's deadline, after discharge
    readiness: str              # discharged | withdrawn | delayed | ready: domain/discharge_days.standing's

    @property
    def delayed_in_hospital(self) -> int:
        """Delayed days of a patient still in hospital (the county's count today); 0 once discharged."""
        return 0 if self.discharged_at is not None else self.delayed_days


@dataclass(slots=True)
class PushInfo:
    """What the pushed calls' lane shows beyond a community row (None on those)."""
    case_number: str | None  # the ambulance service's own
    breach_at: datetime | None  # the message's breach time, else the validation clock's deadline
    taken: bool  # accepted (or further): the ambulance service has been told SPOA has it
    version: int  # the referral's, for "I have it" (a change meanwhile refuses it, saying so)


@dataclass(slots=True)  # not frozen: a frozen dataclass costs a setattr call per field, 2,000 times a render
class QueueRow:
    id: str
    reference: str
    patient_age: int
    source: str
    route: str
    assigned_service: str | None
    state: str
    received_at: datetime
    clock_name: str | None
    amber_at: datetime | None
    deadline: datetime | None
    escalation_level: int
    acknowledged: bool
    waiting_for: str | None
    lane: str  # see lane_of
    discharge: DischargeInfo | None = None  # a hospital discharge's own facts
    push: PushInfo | None = None  # a pushed call's own facts

    def rag(self, at: datetime) -> str:
        if self.deadline is None:
            return "none"
        if at >= self.deadline:
            return "red"
        return "amber" if at >= self.amber_at else "green"

    def countdown(self, at: datetime) -> str:
        """As the page's script words it (it takes over, to the second, once loaded)."""
        if self.deadline is None:
            return ""
        seconds = (self.deadline - at).total_seconds()
        minutes = int(abs(seconds) // 60)
        return f"Breached {minutes} min ago" if seconds <= 0 else f"{minutes // 60} h {minutes % 60} min"

    def sort_key(self):
        # Nearest breach first; referrals with no running clock last, oldest first.
        return (self.deadline is None, self.deadline or self.received_at, self.received_at)


# Only the columns a row shows, without ORM objects: the first render reads
# every open referral in the county, and loading full referrals (forty columns,
# JSON among them) cost most of a second at 2,000.
_REFERRAL_COLUMNS = (Referral.id, Referral.reference, Referral.date_of_birth, Referral.source, Referral.route,
                     Referral.assigned_service, Referral.state, Referral.received_at, Referral.waiting_for,
                     Referral.kind, Referral.version, Referral.breach_at, Referral.sender_case_number)
# A discharge's own, read by the lane's query for discharges only: a queue of community
# referrals pays nothing for them. One value of the discharge section, not its whole JSON.
# (kind, the DRD and discharged_at are what domain/discharge_days.delayed_days reads of a referral.)
_DISCHARGE_COLUMNS = (Referral.id, Referral.kind, Referral.hospital_ods, Referral.ward, Referral.discharge_ready_date,
                      Referral.pathway, Referral.proposed_pathway, Referral.discharged_at,
                      Referral.discharge["hospital_name"].as_string().label("hospital_name"))
_CLOCK_COLUMNS = (Clock.referral_id, Clock.name, Clock.counts, Clock.started_at, Clock.deadline, Clock.status,
                  Clock.escalation_level, Clock.acknowledged_at)


def _rows(where) -> list[QueueRow]:
    referrals = db.session.execute(select(*_REFERRAL_COLUMNS).where(where)).all()
    if not referrals:
        return []
    clocks: dict = {}
    clock_query = select(*_CLOCK_COLUMNS).where(running())
    if len(referrals) <= 100:  # a few (a live change): by id; the whole queue: join, no huge IN list
        clock_query = clock_query.where(Clock.referral_id.in_([r.id for r in referrals]))
    else:
        clock_query = clock_query.join(Referral, Referral.id == Clock.referral_id).where(where)
    for c in db.session.execute(clock_query):
        clocks.setdefault(c.referral_id, []).append(c)
    policy = current_policy()
    fraction = policy.warn_at[0] if policy.warn_at else 0.75
    hours = current_working_hours()
    today = uk_date(now())
    rows = [_row(r, clocks.get(r.id, ()), fraction, hours, today, policy.review_route) for r in referrals]
    discharge_ids = [r.id for r in referrals if r.kind == "discharge"]
    if discharge_ids:
        rows = _add_discharges(rows, where, discharge_ids, len(referrals), clocks, today)
    return rows


def _lane_query(query, where, discharge_ids: list, how_many: int, referral_id):
    """As for clocks: a live change's few discharges by id, the whole queue's by join."""
    if how_many <= 100:
        return query.where(referral_id.in_(discharge_ids))
    if referral_id is not Referral.id:
        query = query.join(Referral, Referral.id == referral_id)
    return query.where(where, Referral.kind == "discharge")


def _add_discharges(rows, where, discharge_ids: list, how_many: int, clocks: dict, today: date) -> list[QueueRow]:
    """The discharges' own facts, and each one's latest recorded delay reason: two
    queries for the whole lane, never one a row. A discharge closed between the first
    query and these has left the queue: its row goes."""
    facts = {d.id: d for d in db.session.execute(
        _lane_query(select(*_DISCHARGE_COLUMNS), where, discharge_ids, how_many, Referral.id))}
    reasons = {}
    for d in db.session.execute(_lane_query(
            select(DelayedDay.referral_id, DelayedDay.day, DelayedDay.reason).where(DelayedDay.reason.isnot(None)),
            where, discharge_ids, how_many, DelayedDay.referral_id).order_by(DelayedDay.day)):
        reasons[d.referral_id] = d  # ordered by day: the last one kept is the latest
    kept = []
    for row in rows:
        if row.lane == DISCHARGE_LANE:
            key = uuid.UUID(row.id)
            if key not in facts:
                continue
            row.discharge = _discharge(facts[key], clocks.get(key, ()), today, reasons.get(key))
        kept.append(row)
    return kept


def _discharge(r, running, today, reason) -> DischargeInfo:
    welfare = next((c.deadline for c in running if c.name == WELFARE_CLOCK), None)
    return DischargeInfo(
        hospital_ods=r.hospital_ods, hospital_name=r.hospital_name, ward=r.ward, pathway=r.pathway,
        proposed_pathway=r.proposed_pathway, ready_date=r.discharge_ready_date,
        days_to_ready=(r.discharge_ready_date - today).days if r.discharge_ready_date else None,
        discharged_at=r.discharged_at, delayed_days=delayed_days(r, today),
        reason=reason.reason if reason else None, reason_day=reason.day if reason else None,
        welfare_due=welfare if r.discharged_at is not None else None,
        readiness=standing(r.discharged_at, r.discharge_ready_date, today))


def _row(r, running, fraction, hours, today, review_route) -> QueueRow:
    clock = min(running, key=lambda c: c.deadline) if running else None
    amber_at = None
    if clock is not None:
        amber_at = point_in_window(clock.started_at, clock.deadline, fraction, clock.counts,
                                   hours if clock.counts != "24/7" else None)
    return QueueRow(
        id=str(r.id), reference=r.reference,
        patient_age=age_in_years(r.date_of_birth, today), source=r.source,
        route=r.route or "unrouted", assigned_service=r.assigned_service,
        state=r.state, received_at=r.received_at, clock_name=clock.name if clock else None,
        amber_at=amber_at, deadline=clock.deadline if clock else None,
        escalation_level=max((c.escalation_level for c in running), default=0),
        acknowledged=any(c.acknowledged_at for c in running if c.status == "breached"),
        waiting_for=r.waiting_for,
        lane=lane_of(r.kind, r.route, r.state, review_route),
        push=_push(r, running) if r.kind == "pushed_call" else None,
    )


def _push(r, running) -> PushInfo:
    breach = r.breach_at or next((c.deadline for c in running if c.name == VALIDATION_CLOCK), None)
    return PushInfo(case_number=r.sender_case_number, breach_at=breach, taken=r.state not in UNTAKEN_STATES,
                    version=r.version)


def open_rows() -> list[QueueRow]:
    rows = _rows(Referral.state.in_(OPEN_STATES))
    rows.sort(key=QueueRow.sort_key)
    return rows


def rows_for(ids) -> dict[str, QueueRow | None]:
    """Current rows for these referral ids; None for one that has left the queue."""
    keys = [uuid.UUID(i) for i in ids]
    found = {row.id: row for row in _rows(Referral.id.in_(keys) & Referral.state.in_(OPEN_STATES))}
    return {i: found.get(i) for i in ids}


def counts(rows, at: datetime) -> dict:
    by_route: dict[str, int] = {}
    by_state: dict[str, int] = {}
    breached = 0
    for row in rows:
        by_route[row.route] = by_route.get(row.route, 0) + 1
        by_state[row.state] = by_state.get(row.state, 0) + 1
        breached += row.rag(at) == "red"
    return {"route": dict(sorted(by_route.items())), "state": dict(sorted(by_state.items())),
            "breached": breached, "total": len(rows), "discharge": discharge_counts(rows)}


def discharge_counts(rows) -> dict:
    """The top of the discharges' lane: open discharges per pathway, and the county's
    delayed days today (patients past their DRD still in hospital, and their days in all).
    Of every open discharge, whatever the page's filters, as the other counts are."""
    pathway = dict.fromkeys(PATHWAY_KEYS, 0)
    patients = days = 0
    for row in rows:
        if row.discharge is not None:
            pathway[pathway_key(row.discharge.pathway)] += 1
            delayed = row.discharge.delayed_in_hospital
            patients += delayed > 0
            days += delayed
    return {"pathway": pathway, "delayed_patients": patients, "delayed_days": days}


def hospitals(rows) -> dict[str, str]:
    """The hospitals with open discharges (ODS code -> name), by name: the filter's choices."""
    found = {row.discharge.hospital_ods: row.discharge.hospital_name or row.discharge.hospital_ods
             for row in rows if row.discharge is not None}
    return dict(sorted(found.items(), key=lambda item: (item[1].lower(), item[0])))
