"""What the live queue shows for each open referral, computed in one place for the
first render, the Server-Sent Events and the tests.

A row carries instants, not colours: the browser ticks the countdown and turns a
row amber at ``amber_at`` and red at ``deadline`` by itself, so a page stays right
between events. Working-hours clocks are why ``amber_at`` is computed here: 75% of
a working-hours window is not 75% of the wall-clock time.
"""
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from ..clocks import age_in_years, now, point_in_window, uk_date
from ..extensions import db
from ..lifecycle import OPEN_STATES
from ..models import Clock, Referral
from ..models.clock import RUNNING_STATUSES
from ..policy import current_policy, current_working_hours

REVIEW_LANE = "review"
MAIN_LANE = "main"


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
    lane: str  # REVIEW_LANE (routed to review, or in review) or MAIN_LANE

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
                     Referral.assigned_service, Referral.state, Referral.received_at, Referral.waiting_for)
_CLOCK_COLUMNS = (Clock.referral_id, Clock.name, Clock.counts, Clock.started_at, Clock.deadline, Clock.status,
                  Clock.escalation_level, Clock.acknowledged_at)


def _rows(where) -> list[QueueRow]:
    referrals = db.session.execute(select(*_REFERRAL_COLUMNS).where(where)).all()
    if not referrals:
        return []
    clocks: dict = {}
    clock_query = select(*_CLOCK_COLUMNS).where(Clock.status.in_(RUNNING_STATUSES))
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
    return [_row(r, clocks.get(r.id, ()), fraction, hours, today, policy.review_route) for r in referrals]


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
        lane=REVIEW_LANE if r.route == review_route or r.state == "in_review" else MAIN_LANE,
    )


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
            "breached": breached, "total": len(rows)}
