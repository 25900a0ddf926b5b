"""Today's figures for the system coordination centre and the county's urgent-care
dashboard (SHREWD): GET /api/v1/status. Aggregates only: no patient, no referral,
no staff name is in it, so it is safe on a wall screen.

Each figure is counted where it is defined, so the feed, the reports page and the
queue can never disagree: clock outcomes (clock_outcome.outcome), the 2-hour figure
(two_hour), capacity and the duty rota (services/capacity.board), delayed days
(services/delays). A handful of GROUP BY queries, whatever the size of the database.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import case, func, select

from rules.clock_policy import TWO_HOUR_AMBITION
from spoa.domain.labels import route_name
from spoa.domain.lifecycle import OPEN_STATES
from spoa.domain.period import Period
from spoa.domain.policy import current_policy
from spoa.extensions import db
from spoa.models import Clock, Referral
from spoa.platform.timekeeping import now, uk_date
from spoa.reports import two_hour
from spoa.reports.clock_outcome import outcome, share_met
from spoa.services import capacity, delays


@dataclass(frozen=True)
class RouteNow:
    route: str | None  # None: not routed yet
    name: str
    open_referrals: int
    breaches: int  # clocks of open referrals past their deadline and not met
    referrals_in_breach: int  # open referrals with at least one of those


@dataclass(frozen=True)
class TwoHour:
    first: date
    last: date
    met: int
    breached: int
    running: int
    share_met: float | None  # percent, None when none is decided yet
    ambition: float
    meets_ambition: bool | None


@dataclass(frozen=True)
class HospitalDelays:
    hospital_ods: str | None
    patients_delayed: int
    delayed_days: int


@dataclass(frozen=True)
class Status:
    generated_at: datetime
    date: date
    routes: list[RouteNow]
    two_hour: dict[str, TwoHour]  # today, week
    capacity: list[capacity.BoardLine]  # clinical services
    duty: list[capacity.BoardLine]  # voluntary organisations on duty today
    delayed_discharges: dict


def routes_now(at: datetime) -> list[RouteNow]:
    """Every route of the policy (with zeros), and any other a referral still holds."""
    # "Breached and not met": the outcome's own definition of breached (a deadline
    # passed unmet counts whether or not a worker has recorded it yet), less the
    # clocks that stopped (met late, or cancelled): what is still overdue now.
    # Counted per open referral, a correlated count through ix_clocks_unstopped
    # (migration 0016: clocks neither met nor cancelled, by referral): the open
    # referrals are a few thousand, the clocks of a year millions.
    overdue = (select(func.count()).select_from(Clock)
               .where(Clock.referral_id == Referral.id, Clock.met_at.is_(None), Clock.cancelled_at.is_(None),
                      outcome(at) == "breached")
               .correlate(Referral).scalar_subquery())
    # MATERIALIZED: counted once a referral (inlined, the count would be made once
    # for each aggregate that reads it).
    open_ = select(Referral.route.label("route"), overdue.label("overdue")).where(
        Referral.state.in_(OPEN_STATES)).cte("open_referrals").prefix_with("MATERIALIZED")
    counted = db.session.execute(
        select(open_.c.route, func.count(), func.coalesce(func.sum(open_.c.overdue), 0),
               func.coalesce(func.sum(case((open_.c.overdue > 0, 1), else_=0)), 0))
        .group_by(open_.c.route)).all()
    found = {route: (int(n), int(clocks), int(referrals)) for route, n, clocks, referrals in counted}
    routes = list(current_policy().routes)
    others = sorted((r for r in found if r not in routes), key=lambda r: (r is None, r or ""))
    return [RouteNow(route, route_name(route), *found.get(route, (0, 0, 0))) for route in [*routes, *others]]


def two_hour_in(period: Period) -> TwoHour:
    """The 2-hour figure for a period: two_hour.counts, the one computation the
    reports' headline is made from, asked once (the headline would ask again for
    the share; the feed needs the counts beside it), and the one share_met."""
    tally = two_hour.counts(period)
    share = share_met(tally["met"], tally["breached"])
    return TwoHour(first=period.first, last=period.last, met=tally["met"], breached=tally["breached"],
                   running=tally["running"], share_met=share, ambition=TWO_HOUR_AMBITION,
                   meets_ambition=None if share is None else share >= TWO_HOUR_AMBITION)


def delayed_discharges(today: date) -> dict:
    hospitals = [HospitalDelays(*row) for row in delays.delayed_now(today)]
    return {"patients_delayed": sum(h.patients_delayed for h in hospitals),
            "delayed_days": sum(h.delayed_days for h in hospitals), "hospitals": hospitals}


def status() -> Status:
    at = now()
    today = uk_date(at)
    # This week is the ISO week so far (Monday to today, UK), as the reports' weeks are.
    week = Period(today - timedelta(days=today.weekday()), today)
    board = capacity.board()
    return Status(
        generated_at=at, date=today, routes=routes_now(at),
        two_hour={"today": two_hour_in(Period(today, today)), "week": two_hour_in(week)},
        capacity=[line for line in board if line.kind == "clinical"],
        duty=[line for line in board if line.kind == "voluntary"],  # the board lists those on duty only
        delayed_discharges=delayed_discharges(today))
