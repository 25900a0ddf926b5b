"""Performance: how each route's clocks ended (or stand), the 2-hour urgent
community response figure against the national ambition, and the time to first
contact.

Clocks belong to their referral's receipt: the clocks of referrals received in
the period, each's outcome as of now (clock_outcome.py, the one definition), under
the route the clock was started for (a re-route does not move a clock's outcome to
the new route). One GROUP BY for the clocks, one for first
contact; the 2-hour headline is two_hour.py's, the same figure the coordination
centre's feed shows.
"""
from collections import Counter

from sqlalchemy import func, select

from spoa.domain import labels
from spoa.domain.period import Filters, Period
from spoa.domain.policy import current_policy
from spoa.extensions import db
from spoa.models import Clock, Referral
from spoa.platform.sql import percentile, seconds_between
from spoa.platform.timekeeping import now
from spoa.reports import two_hour
from spoa.reports.clock_outcome import OUTCOMES, outcome, share_met
from spoa.reports.received import received_in
from spoa.reports.table import Chart, Column, Section, Table, one_place

# The tables section() builds, in its order: sections.table finds a CSV's section by these.
TABLES = ("performance_clocks", "performance_first_contact")


def section(period: Period, filters: Filters) -> Section:
    note = ""
    if filters.route and filters.route != two_hour.ROUTE:
        note = f"The 2-hour figure is {labels.route_name(two_hour.ROUTE)}'s own: the route filter does not narrow it."
    tally = _clock_tally(period, filters)
    # The table's crisis response first contact row is two_hour.counts exactly (same
    # clocks, same outcome, same source filter) unless a route filter left it out.
    crisis = None
    if not filters.route or filters.route == two_hour.ROUTE:
        found = tally.get((two_hour.ROUTE, two_hour.CLOCK), Counter())
        crisis = {name: found[name] for name in OUTCOMES}
    return Section(id="performance", title="Performance",
                   headlines=(two_hour.headline(period, filters, tally=crisis),),
                   tables=(clock_outcomes(period, filters, tally), first_contact(period, filters)), note=note)


def _clock_tally(period: Period, filters: Filters) -> dict[tuple, Counter]:
    """{(route, clock): Counter(outcome: clocks)}, one GROUP BY."""
    state = outcome(now()).label("outcome")
    # Each clock keeps the route it was started for and its referral's receipt
    # (Clock.route, Clock.received_at): the period's clocks are found by that index and
    # grouped without a join per clock; only a source filter needs the referral.
    query = (select(Clock.route, Clock.name, state, func.count())
             .where(Clock.received_at >= period.start, Clock.received_at < period.end)
             .group_by(Clock.route, Clock.name, state))
    if filters.route:
        query = query.where(Clock.route == filters.route)
    if filters.source:
        query = query.join(Referral, Referral.id == Clock.referral_id).where(Referral.source == filters.source)
    tally: dict[tuple, Counter] = {}
    for route, clock, how, n in db.session.execute(query):
        tally.setdefault((route, clock), Counter())[how] = n
    return tally


def clock_outcomes(period: Period, filters: Filters, tally: dict[tuple, Counter] | None = None) -> Table:
    tally = tally if tally is not None else _clock_tally(period, filters)
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
              "clock was started for (a clock stopped by a re-route stays under the route it ran for; a "
              "route filter narrows to that route's clocks). Met at or before the deadline is met (exactly at it "
              "included); a deadline "
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
    # The first contact's own time is kept on the referral (services/events.py): no
    # audit events are read.
    hours = seconds_between(Referral.first_contact_at, Referral.received_at) / 3600.0
    query = (select(Referral.route, func.count(), func.count(Referral.first_contact_at), percentile(hours, 0.5),
                    percentile(hours, 0.9))
             .where(*received_in(period, filters))
             .group_by(Referral.route))
    services = current_policy().services
    rows = tuple(
        (route, labels.route_name(route), received, contacted, one_place(median), one_place(p90))
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
        note=("Hours from receipt to the first contact (when the worker said it happened), for referrals "
              "received in the period "
              "(under the route each is on now), median and 90th percentile (interpolated); referrals not "
              "yet contacted are counted but not in the times. Routes no service works are left out."))
