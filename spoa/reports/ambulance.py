"""Ambulance shift: EMAS referrals by category (3, 4, 5) week by week, and what
became of them, so the county can see ambulance work moving to the SPOA as its
plan asks it to profile.

An EMAS referral is one with source "emas" received in the period. Accepted: a
service accepted it at some time (it has an ``accept`` event: it reached
accepted, whatever it went on to). Redirected: it is redirected to 999 or ED
now. Weeks are ISO weeks, Monday to Sunday in UK time.
"""
from collections import Counter

from sqlalchemy import case, exists, func, or_, select

from spoa.domain.labels import route_name
from spoa.domain.period import Filters, Period
from spoa.domain.vocab import EMAS_CATEGORIES
from spoa.extensions import db
from spoa.models import AuditEvent, Referral
from spoa.platform.sql import UKHours, uk_hours
from spoa.reports.received import received_in
from spoa.reports.table import Chart, Column, Section, Table, percent

SOURCE = "emas"
# spoa/domain/lifecycle.py: a community referral reaches these only through accept (a simple
# discharge closes to completed unaccepted, but EMAS sends no discharges).
ACCEPTED_OR_LATER = ("accepted", "in_progress", "completed")
FILTERS_NOTE = "The route filter narrows it to that route (now); the source filter does not apply (these are EMAS's)."


# The tables section() builds, in its order: sections.table finds a CSV's section by these.
TABLES = ("ambulance_weekly", "ambulance_outcomes", "ambulance_routes")


def _counts(period: Period, filters: Filters) -> list[tuple]:
    """(week, category, route, referrals, accepted, redirected): one aggregate."""
    # A referral in one of these states was accepted (the only ways in pass through
    # accepted); for the rest, its own events say, by the index on referral_id (an IN
    # over a year's acceptances would be hashed, or rescanned per row if too big to hash).
    accepted = or_(Referral.state.in_(ACCEPTED_OR_LATER),
                   exists().where(AuditEvent.referral_id == Referral.id, AuditEvent.event == "accept",
                                  AuditEvent.at >= period.start))  # an acceptance follows receipt
    # The UK week by integer arithmetic on the period's offsets (no zone lookup per row).
    week = UKHours.week_number(uk_hours(Referral.received_at, period.start, period.end)).label("week")
    query = (select(week, Referral.emas_category, Referral.route, func.count(),
                    func.coalesce(func.sum(case((accepted, 1), else_=0)), 0),
                    func.coalesce(func.sum(case((Referral.state == "redirected", 1), else_=0)), 0))
             .where(Referral.source == SOURCE, *received_in(period, filters, source=False))
             .group_by(week, Referral.emas_category, Referral.route))
    return [(UKHours.week(w), *rest) for w, *rest in db.session.execute(query)]


def _category_key(category) -> str:
    return f"category_{category}"


def _weekly(period: Period, rows: list[tuple]) -> Table:
    by_week: dict = {}
    for week, category, _route, count, accepted, redirected in rows:
        tally = by_week.setdefault(week, Counter())
        tally[category] += count
        tally["all"] += count
        tally["accepted"] += accepted
        tally["redirected"] += redirected
    lines = []
    for monday in period.weeks:
        tally = by_week.get(monday, Counter())
        lines.append((monday, *(tally[c] for c in EMAS_CATEGORIES), tally["all"], tally["accepted"],
                      tally["redirected"]))
    return Table(
        id="ambulance_weekly", title="EMAS referrals by category, week by week",
        columns=(Column("week", "Week beginning", "date"),
                 *(Column(_category_key(c), f"Category {c}") for c in EMAS_CATEGORIES),
                 Column("referrals", "EMAS referrals"), Column("accepted", "Accepted by a service"),
                 Column("redirected", "Redirected to 999 or ED")),
        rows=tuple(lines),
        chart=Chart("stacked_bar", x="week", series=tuple(_category_key(c) for c in EMAS_CATEGORIES),
                    title="EMAS referrals by category, per week"),
        note="EMAS referrals received in each ISO week (Monday to Sunday, UK time; the first and last weeks "
             "count only the days in the period), by category. Accepted: a service accepted it (whatever "
             "happened after); redirected: it is redirected to 999 or ED now. " + FILTERS_NOTE)


def _by_category(rows: list[tuple]) -> Table:
    tally: dict = {c: Counter() for c in EMAS_CATEGORIES}
    for _week, category, _route, count, accepted, redirected in rows:
        found = tally.setdefault(category, Counter())
        found["referrals"] += count
        found["accepted"] += accepted
        found["redirected"] += redirected

    lines = tuple((f"Category {c}" if c is not None else "No category", t["referrals"], t["accepted"],
                   percent(t["accepted"], t["referrals"]), t["redirected"], percent(t["redirected"], t["referrals"]))
                  for c, t in tally.items())
    return Table(
        id="ambulance_outcomes", title="What became of EMAS referrals, by category",
        columns=(Column("category", "Category", "text"), Column("referrals", "EMAS referrals"),
                 Column("accepted", "Accepted by a service"), Column("accepted_share", "Accepted (%)", "percent"),
                 Column("redirected", "Redirected to 999 or ED"),
                 Column("redirected_share", "Redirected (%)", "percent")),
        rows=lines,
        note="EMAS referrals received in the period. Accepted and redirected as in the weekly table (one "
             "accepted and later redirected counts in both). " + FILTERS_NOTE)


def _by_route(rows: list[tuple]) -> Table:
    tally: dict = {}
    for _week, category, route, count, _accepted, _redirected in rows:
        found = tally.setdefault(route, Counter())
        found[category] += count
        found["all"] += count
    names = {r: route_name(r) for r in tally}
    lines = tuple((names[r], *(tally[r][c] for c in EMAS_CATEGORIES), tally[r]["all"])
                  for r in sorted(tally, key=lambda r: (-tally[r]["all"], names[r])))
    return Table(
        id="ambulance_routes", title="EMAS referrals by route and category",
        columns=(Column("route", "Route", "text"),
                 *(Column(_category_key(c), f"Category {c}") for c in EMAS_CATEGORIES),
                 Column("referrals", "EMAS referrals")),
        rows=lines,
        chart=Chart("stacked_bar", x="route", series=tuple(_category_key(c) for c in EMAS_CATEGORIES),
                    title="EMAS referrals by route"),
        note="EMAS referrals received in the period by the route they are on now (a supervisor's override "
             "included), most first. " + FILTERS_NOTE)


def section(period: Period, filters: Filters) -> Section:
    rows = _counts(period, filters)
    return Section(id="ambulance", title="Ambulance shift", tables=(_weekly(period, rows), _by_category(rows),
                                                                     _by_route(rows)),
                   note="Referrals from the ambulance service (EMAS) by category 3, 4 and 5: the shift of "
                        "ambulance work to the SPOA.")
