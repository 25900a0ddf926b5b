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
from sqlalchemy.orm import selectinload

from ..clocks import age_in_years, format_uk, now, point_in_window
from ..extensions import db
from ..lifecycle import OPEN_STATES
from ..models import Referral
from ..policy import current_policy, current_working_hours

REVIEW_LANE = "review"
MAIN_LANE = "main"


@dataclass(frozen=True)
class QueueRow:
    id: str
    reference: str
    version: int
    patient_age: int
    source: str
    route: str
    assigned_service: str | None
    state: str
    urgency: str | None
    received_at: datetime
    clock_name: str | None
    started_at: datetime | None
    amber_at: datetime | None
    deadline: datetime | None
    escalation_level: int
    acknowledged: bool
    waiting_for: str | None

    @property
    def lane(self) -> str:
        return REVIEW_LANE if self.route == "supervisor_review" or self.state == "in_review" else MAIN_LANE

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


def open_referrals_stmt():
    return (select(Referral).where(Referral.state.in_(OPEN_STATES))
            .options(selectinload(Referral.clocks)))


def row_of(referral: Referral) -> QueueRow:
    running = [c for c in referral.clocks if c.is_running]
    clock = min(running, key=lambda c: c.deadline) if running else None
    amber_at = None
    if clock is not None:
        fraction = current_policy().warn_at[0] if current_policy().warn_at else 0.75
        amber_at = point_in_window(clock.started_at, clock.deadline, fraction, clock.counts,
                                   current_working_hours() if clock.counts != "24/7" else None)
    return QueueRow(
        id=str(referral.id), reference=referral.reference, version=referral.version,
        patient_age=age_in_years(referral.date_of_birth), source=referral.source,
        route=referral.route or "unrouted", assigned_service=getattr(referral, "assigned_service", None),
        state=referral.state, urgency=referral.urgency, received_at=referral.received_at,
        clock_name=clock.name if clock else None, started_at=clock.started_at if clock else None,
        amber_at=amber_at, deadline=clock.deadline if clock else None,
        escalation_level=max((c.escalation_level for c in running), default=0),
        acknowledged=any(c.acknowledged_at for c in running if c.status == "breached"),
        waiting_for=getattr(referral, "waiting_for", None),
    )


def open_rows() -> list[QueueRow]:
    rows = [row_of(r) for r in db.session.scalars(open_referrals_stmt())]
    rows.sort(key=QueueRow.sort_key)
    return rows


def rows_for(ids) -> dict[str, QueueRow | None]:
    """Current rows for these referral ids; None for one that has left the queue."""
    found = {str(r.id): r for r in db.session.scalars(
        select(Referral).where(Referral.id.in_([uuid.UUID(i) for i in ids])).options(selectinload(Referral.clocks)))}
    return {i: (row_of(found[i]) if i in found and found[i].state in OPEN_STATES else None) for i in ids}


def counts(rows) -> dict[str, dict[str, int]]:
    by_route: dict[str, int] = {}
    by_state: dict[str, int] = {}
    for row in rows:
        by_route[row.route] = by_route.get(row.route, 0) + 1
        by_state[row.state] = by_state.get(row.state, 0) + 1
    return {"route": dict(sorted(by_route.items())), "state": dict(sorted(by_state.items()))}


def template_helpers() -> dict:
    return {"format_uk": format_uk, "now": now()}
