"""Performance: how each route's clocks ended (or stand), the 2-hour urgent
community response figure against the national ambition, and the time to first
contact.

Clocks belong to their referral's receipt: the clocks of referrals received in
the period, each's outcome as of now (clock_outcome.py, the one definition), under
the route its referral is on now. One GROUP BY for the clocks, one for first
contact; the 2-hour headline is two_hour.py's, the same figure the coordination
centre's feed shows.
"""
from collections import Counter

from sqlalchemy import func, select

from ..clocks import now
from ..extensions import db
from ..models import AuditEvent, Clock, Referral
from ..policy import current_policy
from . import labels, two_hour
from .clock_outcome import OUTCOMES, outcome, share_met
from .period import Filters, Period
from .received import received_in
from .sql import percentile, seconds_between
from .table import Chart, Column, Section, Table


def section(period: Period, filters: Filters) -> Section:
    note = ""
    if filters.route and filters.route != two_hour.ROUTE:
        note = f"The 2-hour figure is {labels.route_name(two_hour.ROUTE)}'s own: the route filter does not narrow it."
    return Section(id="performance", title="Performance",
                   headlines=(two_hour.headline(period, filters),),
                   tables=(clock_outcomes(period, filters), first_contact(period, filters)), note=note)


def clock_outcomes(period: Period, filters: Filters) -> Table:
    state = outcome(now()).label("outcome")
    # A clock is written at its referral's receipt or later: the bound lets an index on
    # created_at find a short period's clocks without reading every clock. (Not
    # started_at: a welfare check counts from a discharge that may precede receipt.)
    query = (select(Referral.route, Clock.name, state, func.count())
             .select_from(Clock).join(Referral, Referral.id == Clock.referral_id)
             .where(Clock.created_at >= period.start, *received_in(period, filters))
             .group_by(Referral.route, Clock.name, state))
    tally: dict[tuple, Counter] = {}
    for route, clock, how, n in db.session.execute(query):
        tally.setdefault((route, clock), Counter())[how] = n
    rows = []
    for route, clock in sorted(tally, key=lambda key: _clock_order(*key)):
        found = tally[(route, clock)]
        rows.append((route, labels.route_name(route), clock, labels.words(clock),
                     f"{labels.route_name(route)}: {labels.words(clock).lower()}",
                     *(found[name] for name in OUTCOMES), share_met(found["met"], found["breached"])))
    return Table(
        id="performance_clocks", title="Clocks met and breached, by route",
        columns=(Column("route", "Route code", "text"), Column("route_name", "Route", "text"),
                 Column("clock", "Clock code", "text"), Column("clock_name", "Clock", "text"),
                 Column("label", "Route and clock", "text"),
                 Column("met", "Met"), Column("breached", "Breached"), Column("running", "Still running"),
                 Column("cancelled", "Cancelled"), Column("share_met", "Share met", "percent")),
        rows=tuple(rows),
        chart=Chart("stacked_bar", "label", OUTCOMES, title="Clocks by outcome"),
        note=("The clocks of referrals received in the period, as they stand now, under the route each "
              "referral is on now. Met at or before the deadline is met (exactly at it included); a deadline "
              "passed unmet is breached whether or not it has been recorded yet. Share met is met out of met "
              "and breached: running and cancelled clocks are not in it."))


def _clock_order(route: str | None, clock: str) -> tuple:
    """The policy's order: routes as clocks.yaml lists them, each's clocks as listed
    (community clocks, then a discharge's own)."""
    policy = current_policy().clocks
    names = [spec.name for table in (policy.clocks, policy.discharge_clocks) for spec in table.get(route, ())]
    listed = list(dict.fromkeys(names))
    return (labels.route_order(route), listed.index(clock) if clock in listed else len(listed), clock)


def first_contact(period: Period, filters: Filters) -> Table:
    # A referral's first contact is at or after its receipt, so nothing before the
    # period's start can be one of its referrals' (the bound lets the (event, at) index serve).
    first = (select(AuditEvent.referral_id, func.min(AuditEvent.at).label("at"))
             .where(AuditEvent.event == "first_contact", AuditEvent.at >= period.start)
             .group_by(AuditEvent.referral_id).subquery())
    hours = seconds_between(first.c.at, Referral.received_at) / 3600.0
    query = (select(Referral.route, func.count(), func.count(first.c.at), percentile(hours, 0.5),
                    percentile(hours, 0.9))
             .select_from(Referral).outerjoin(first, first.c.referral_id == Referral.id)
             .where(*received_in(period, filters))
             .group_by(Referral.route))
    services = current_policy().services
    rows = tuple(
        (route, labels.route_name(route), received, contacted, _hours(median), _hours(p90))
        for route, received, contacted, median, p90 in sorted(db.session.execute(query),
                                                             key=lambda row: labels.route_order(row[0]))
        if route in services or contacted)
    return Table(
        id="performance_first_contact", title="Time to first contact, by route",
        columns=(Column("route", "Route code", "text"), Column("route_name", "Route", "text"),
                 Column("referrals", "Referrals"), Column("contacted", "First contact made"),
                 Column("median_hours", "Median hours", "hours"),
                 Column("p90_hours", "90th percentile hours", "hours")),
        rows=rows, chart=Chart("bar", "route_name", ("median_hours", "p90_hours"), title="Hours to first contact"),
        note=("Hours from receipt to the first recorded first contact, for referrals received in the period "
              "(under the route each is on now), median and 90th percentile (interpolated); referrals not "
              "yet contacted are counted but not in the times. Routes no service works are left out."))


def _hours(value) -> float | None:
    return None if value is None else round(float(value), 1)
