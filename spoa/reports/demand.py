"""Demand: referrals received in the period, per UK day and per UK hour of day,
by source and by route.

Two GROUP BYs in the database (UK day x source x route, UK hour x source x
route, each by integer arithmetic on the period's UK offsets: sql.uk_hours, no
time zone lookup per row); every table of the section is summed from those few
thousand rows, and days and hours with no referral are filled in with zeros
here (presentation, not counting).
A referral's route is its route now (a declined or overridden referral counts
under the route it is on, not the first one it was given).
"""
from collections import Counter

from sqlalchemy import func, select

from spoa.domain import labels
from spoa.domain.period import Filters, Period
from spoa.extensions import db
from spoa.models import Referral
from spoa.platform.sql import UKHours, uk_hours
from spoa.reports.received import received_in
from spoa.reports.table import Chart, Column, Section, Table, percent

HOURS = range(24)
DAY, HOUR = Column("day", "Day", "date"), Column("hour", "Hour (UK)", "text")
BY_SOURCE = "a column for each source that sent any"
BY_ROUTE = "a column for each route any is on now"


# The tables section() builds, in its order: sections.table finds a CSV's section by these.
TABLES = ("demand_by_day", "demand_by_day_route", "demand_by_hour", "demand_by_hour_route",
          "demand_by_source", "demand_by_route")


def section(period: Period, filters: Filters) -> Section:
    hours = uk_hours(Referral.received_at, period.start, period.end)
    by_day = Counter({(UKHours.day(n), source, route): count
                      for (n, source, route), count in _counts(UKHours.day_number(hours), period, filters).items()})
    by_hour = _counts(UKHours.hour(hours), period, filters)
    sources = sorted({source for (_, source, _) in by_day}, key=labels.source_order)
    routes = sorted({route for (_, _, route) in by_day}, key=labels.route_order)
    source_cols = tuple(Column(s, labels.source_name(s)) for s in sources)
    route_cols = tuple(Column(_route_key(r), labels.route_name(r)) for r in routes)
    total = sum(by_day.values())
    return Section(id="demand", title="Demand", tables=(
        _grid("demand_by_day", "Referrals per day, by source", DAY, period.days, source_cols, BY_SOURCE,
              _sum(by_day, lambda day, source, route: (day, source))),
        _grid("demand_by_day_route", "Referrals per day, by route", DAY, period.days, route_cols, BY_ROUTE,
              _sum(by_day, lambda day, source, route: (day, _route_key(route)))),
        _grid("demand_by_hour", "Referrals by hour of day, by source", HOUR, HOURS, source_cols, BY_SOURCE,
              _sum(by_hour, lambda hour, source, route: (hour, source)), label=_hour),
        _grid("demand_by_hour_route", "Referrals by hour of day, by route", HOUR, HOURS, route_cols, BY_ROUTE,
              _sum(by_hour, lambda hour, source, route: (hour, _route_key(route))), label=_hour),
        _shares("demand_by_source", "Referrals by source", "source", "Source", sources, labels.source_name,
                _sum(by_day, lambda day, source, route: source), total),
        _shares("demand_by_route", "Referrals by route", "route", "Route", routes, labels.route_name,
                _sum(by_day, lambda day, source, route: route), total),
    ), note="Referrals received in the period, by the UK day and hour they were received.")


def _counts(when, period: Period, filters: Filters) -> Counter:
    """(day or hour number, source, route) -> referrals received, one GROUP BY."""
    when = when.label("when")
    query = (select(when, Referral.source, Referral.route, func.count())
             .where(*received_in(period, filters))
             .group_by(when, Referral.source, Referral.route))
    return Counter({(int(at), source, route): n for at, source, route, n in db.session.execute(query)})


def _sum(counts: Counter, key) -> Counter:
    summed = Counter()
    for group, n in counts.items():
        summed[key(*group)] += n
    return summed


def _route_key(route: str | None) -> str:
    return route or "not_routed"


def _hour(hour: int) -> str:
    return f"{hour:02d}:00"


def _grid(table_id, title, x: Column, xs, series: tuple, columns_are: str, counts: Counter, label=None) -> Table:
    """One row per day (or hour), every one of them, a column per source (or route) and the total."""
    rows = []
    for at in xs:
        values = [counts[(at, column.key)] for column in series]
        rows.append(((label(at) if label else at), *values, sum(values)))
    keys = tuple(column.key for column in series)
    if x is HOUR:
        note = (f"Referrals received in each hour of the UK day (BST in summer), all the period's days together "
                f"(an hour with none shows 0); {columns_are}.")
    else:
        note = f"Referrals received on each UK day of the period (a day with none shows 0); {columns_are}."
    return Table(
        id=table_id, title=title, columns=(x, *series, Column("total", "All referrals")), rows=tuple(rows),
        chart=Chart("stacked_bar", x.key, keys or ("total",), title=title), note=note)


def _shares(table_id, title, key, heading, codes, name, counts: Counter, total: int) -> Table:
    rows = tuple((code if key == "source" else _route_key(code), name(code), counts[code],
                  percent(counts[code], total))
                 for code in codes)
    return Table(
        id=table_id, title=title,
        columns=(Column(key, f"{heading} code", "text"), Column(f"{key}_name", heading, "text"),
                 Column("referrals", "Referrals"), Column("percent", "Share of referrals", "percent")),
        rows=rows, chart=Chart("bar", f"{key}_name", ("referrals",), title=title),
        note=f"Referrals received in the period by {key}"
             + (" (the route each is on now)." if key == "route" else "."))
