"""Capacity: each service's use against the capacity its team declared, per UK
day, and what each voluntary organisation on the duty rota took.

A day's declared capacity is its last declaration (capacity_declarations): its
total and in use; the peak is the highest in use declared that day. Referrals
offered are the ``offer`` and ``reassign`` events of that UK day naming the
service (a voluntary organisation by its own code): a referral offered twice is
two places taken.
"""
import json
from collections import Counter

from sqlalchemy import Text, case, cast, func, select

from spoa.domain.period import Filters, Period
from spoa.extensions import db
from spoa.models import AuditEvent, CapacityDeclaration, Referral, Service
from spoa.platform.sql import UKHours, uk_hours
from spoa.reports.table import Chart, Column, Section, Table, one_place, percent
from spoa.services.capacity import UNITS, unit_of

OFFERS = ("offer", "reassign")  # a place taken at the service named
TAKEN = ("accept", "decline")   # what an organisation did with one

DECLARED_NOTE = "Declarations are not narrowed by the route or source filter; the referrals offered are."


# The tables section() builds, in its order: sections.table finds a CSV's section by these.
TABLES = ("capacity_use", "capacity_peak_use", "capacity_duty_organisations")


def _declared(period: Period) -> dict:
    """{(service, day): (total, in_use, peak in use, peak use %, declarations)}: one
    aggregate over the day's declarations, the last by a window ranking."""
    d = CapacityDeclaration
    last_first = func.row_number().over(partition_by=(d.service_code, d.day), order_by=(d.at.desc(), d.id.desc()))
    ranked = (select(d.service_code, d.day, d.total, d.in_use, last_first.label("rank"))
              .where(d.day >= period.first, d.day <= period.last).subquery())
    r = ranked.c
    query = (select(r.service_code, r.day,
                    func.max(case((r.rank == 1, r.total))), func.max(case((r.rank == 1, r.in_use))),
                    func.max(r.in_use), func.max(case((r.total > 0, 100.0 * r.in_use / r.total))), func.count())
             .group_by(r.service_code, r.day))
    return {(row[0], row[1]): tuple(row[2:]) for row in db.session.execute(query)}


def _offered(period: Period, filters: Filters) -> dict:
    """{(service, day): places taken}: the offers of the period by the service they named.

    Grouped by the event's detail as written (text: no JSON parsed per row; a
    year holds a few dozen distinct details), then read here."""
    detail = cast(AuditEvent.detail, Text).label("detail")
    # The UK day by integer arithmetic on the period's offsets (no zone lookup per row).
    day = UKHours.day_number(uk_hours(AuditEvent.at, period.start, period.end)).label("day")
    query = (select(detail, day, func.count())
             .where(AuditEvent.event.in_(OFFERS), AuditEvent.at >= period.start, AuditEvent.at < period.end)
             .group_by(detail, day))
    if filters.any:
        query = query.join(Referral, Referral.id == AuditEvent.referral_id).where(*filters.on_referrals())
    found: Counter = Counter()
    for text, on, count in db.session.execute(query):
        named = json.loads(text) if text else {}
        service = named.get("organisation") or named.get("service")
        if service:
            found[service, UKHours.day(on)] += count
    return found


def _taken(period: Period, filters: Filters) -> dict:
    """{(organisation, accept|decline): referrals}. A decline names the organisation it
    left; an accept is the organisation the referral is with (or was, when it closed):
    only referrals with an organisation are joined (their index), not every acceptance's."""
    accepted = (select(Referral.assigned_service, func.count(func.distinct(AuditEvent.referral_id)))
                .join(AuditEvent, AuditEvent.referral_id == Referral.id)
                .where(Referral.assigned_service.is_not(None), AuditEvent.event == "accept",
                       AuditEvent.at >= period.start, AuditEvent.at < period.end, *filters.on_referrals())
                .group_by(Referral.assigned_service))
    declined = (select(cast(AuditEvent.detail, Text), func.count())
                .where(AuditEvent.event == "decline", AuditEvent.at >= period.start, AuditEvent.at < period.end)
                .group_by(cast(AuditEvent.detail, Text)))
    if filters.any:
        declined = declined.join(Referral, Referral.id == AuditEvent.referral_id).where(*filters.on_referrals())
    found: Counter = Counter({(org, "accept"): n for org, n in db.session.execute(accepted)})
    for text, count in db.session.execute(declined):
        organisation = (json.loads(text) if text else {}).get("organisation")
        if organisation:
            found[organisation, "decline"] += count
    return found


def _services() -> dict[str, Service]:
    return {s.code: s for s in db.session.scalars(select(Service))}


def _unit(service: Service | None, code: str) -> str:
    """What the capacity board counts it in (services/capacity.unit_of); a code no service has, by UNITS."""
    return unit_of(service) if service is not None else UNITS.get(code, "places")


def _name(services: dict, code: str) -> str:
    return services[code].name if code in services else code


def _daily(period: Period, declared: dict, offered: dict, services: dict) -> Table:
    keys = sorted(set(declared) | set(offered), key=lambda k: (_name(services, k[0]), k[1]))
    rows = []
    for code, day in keys:
        total, in_use, peak, peak_use, _count = declared.get((code, day), (None, None, None, None, 0))
        rows.append((_name(services, code), code, _unit(services.get(code), code), day, total, in_use, peak,
                     one_place(peak_use), offered.get((code, day), 0)))
    return Table(
        id="capacity_use", title="Use against declared capacity, per service per day",
        columns=(Column("service", "Service", "text"), Column("code", "Code", "text"),
                 Column("unit", "Counted in", "text"), Column("day", "Day", "date"),
                 Column("declared", "Declared capacity (last)"), Column("in_use", "In use (last)"),
                 Column("peak_in_use", "Peak in use"), Column("peak_use", "Peak use (%)", "percent"),
                 Column("offered", "Referrals offered")),
        rows=tuple(rows),
        note="Per service and UK day with a declaration or an offer: the day's last declaration (total and "
             "in use), the highest in use declared that day, and that as a share of the capacity declared "
             "with it. A voluntary organisation's in use counts SPOA's offers up to its last declaration; "
             "referrals offered counts every offer and reassignment to the service that day. " + DECLARED_NOTE)


def _peak_by_day(period: Period, declared: dict, services: dict) -> Table:
    codes = sorted({code for code, _day in declared}, key=lambda c: _name(services, c))
    rows = tuple((day, *(_peak(declared.get((code, day))) for code in codes)) for day in period.days)
    return Table(
        id="capacity_peak_use", title="Peak use of declared capacity, per day",
        columns=(Column("day", "Day", "date"),
                 *(Column(code, f"{_name(services, code)} (%)", "percent") for code in codes)),
        rows=rows,
        chart=Chart("line", x="day", series=tuple(codes), title="Peak use of declared capacity (%)") if codes else None,
        note="Each service's peak use (as in use against declared capacity) on each UK day of the period; "
             "blank where it declared nothing that day. Not narrowed by the route or source filter.")


def _peak(figures) -> float | None:
    if figures is None or figures[3] is None:
        return None
    return one_place(figures[3])


def _duty(declared: dict, offered: dict, taken: dict, services: dict) -> Table:
    voluntary = {code for code, s in services.items() if s.kind == "voluntary"}
    active = {code for code in voluntary if services[code].is_active}
    seen = {code for code, _day in declared} | {code for code, _day in offered} | {org for org, _event in taken}
    codes = sorted((active | seen) & voluntary, key=lambda c: _name(services, c))
    rows = []
    for code in codes:
        days = [figures for (c, _day), figures in declared.items() if c == code]
        places = sum(f[0] or 0 for f in days)
        offers = sum(n for (c, _day), n in offered.items() if c == code)
        accepted, declined = taken.get((code, "accept"), 0), taken.get((code, "decline"), 0)
        rows.append((_name(services, code), code, len(days), places, offers, accepted, declined,
                     percent(accepted, offers)))
    return Table(
        id="capacity_duty_organisations", title="Voluntary organisations on duty: what each took",
        columns=(Column("organisation", "Organisation", "text"), Column("code", "Code", "text"),
                 Column("days_declared", "Days declared"), Column("places", "Places declared"),
                 Column("offered", "Referrals offered"), Column("accepted", "Accepted"),
                 Column("declined", "Handed back"), Column("share_accepted", "Accepted of offered (%)", "percent")),
        rows=tuple(rows),
        chart=Chart("bar", x="organisation", series=("offered", "accepted", "declined"),
                    title="Referrals offered to and accepted by each organisation"),
        note="Each voluntary organisation (active, or with a declaration or an offer in the period): the days "
             "it declared capacity and the places declared (each day's last declaration), the referrals offered "
             "or reassigned to it, and those it accepted or handed back in the period. An acceptance counts for "
             "the organisation the referral is with (a referral handed on after acceptance is no longer "
             "counted for it). " + DECLARED_NOTE)


def section(period: Period, filters: Filters) -> Section:
    declared, offered, services = _declared(period), _offered(period, filters), _services()
    return Section(id="capacity_use", title="Capacity",
                   tables=(_daily(period, declared, offered, services), _peak_by_day(period, declared, services),
                           _duty(declared, offered, _taken(period, filters), services)),
                   note="Capacity as each service's team declared it, against the referrals SPOA offered it.")
