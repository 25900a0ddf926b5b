"""Hospital discharge: the discharges of the period by pathway (the county wants
more home by P0 and P1), how long after the discharge ready date (DRD) they
left, how many left on it and before midday, the delayed days by reason and by
hospital, and the welfare checks made within 24 hours of leaving.

A discharge is counted in the period it left hospital in (``discharged_at``, UK
days). Its DRD is the current one (moved when readiness is given again; none
while readiness is withdrawn, as delays.py counts). Days from DRD to discharge
are UK calendar days, as delays.py counts a delayed day: left on the DRD is 0,
at 00:01 the next day 1. Their median and 90th percentile come from one GROUP BY
of whole days (sql.percentile_of_counts), for each pathway and for all.
"""
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased

from spoa.domain.labels import route_name, route_order
from spoa.domain.pathways import pathway_label
from spoa.domain.period import Filters, Period
from spoa.domain.policy import current_policy
from spoa.extensions import db
from spoa.models import Clock, DelayedDay, Referral
from spoa.platform.sql import days_between, percentile_of_counts, uk_date, uk_hour
from spoa.platform.timekeeping import now
from spoa.reports.clock_outcome import OUTCOMES, outcome, share_met
from spoa.reports.table import Chart, Column, Headline, Section, Table, one_place, percent

PATHWAYS = (0, 1, 2, 3, None)  # None: the route has no pathway, a person decides
HOME_PATHWAYS = (0, 1)
MIDDAY = 12  # UK hour: discharged before it is "before midday"
NO_REASON = "no reason recorded"
WELFARE_CLOCK = "welfare_check"

FILTERS_NOTE = "Route and source narrow it to discharges on that route (now) or from that source."


# The tables section() builds, in its order: sections.table finds a CSV's section by these.
TABLES = ("discharge_pathways", "discharge_timeliness", "discharge_delays_by_reason",
          "discharge_delays_by_hospital", "discharge_welfare_checks")


def pathway_name(pathway: int | None) -> str:
    return pathway_label(pathway) if pathway is not None else "A person decides"


def _discharged(period: Period, filters: Filters) -> list:
    return [Referral.kind == "discharge", Referral.discharged_at >= period.start,
            Referral.discharged_at < period.end, *filters.on_referrals()]


@dataclass
class _Tally:
    """One pathway's (or all) discharges: how many, how many before midday, and
    how many left on each day counted from the DRD ({days: discharges})."""

    discharges: int = 0
    before_midday: int = 0
    days: Counter = field(default_factory=Counter)

    def add(self, days, before_midday, count: int) -> None:
        self.discharges += count
        self.before_midday += count if before_midday else 0
        if days is not None:
            self.days[int(days)] += count

    @property
    def with_drd(self) -> int:
        return sum(self.days.values())

    @property
    def on_drd(self) -> int:
        return sum(n for d, n in self.days.items() if d <= 0)


def _by_pathway(period: Period, filters: Filters) -> tuple[dict, _Tally]:
    """{pathway: tally} and the tally of all: one aggregate over the index, grouped by
    pathway and by whole days (so the percentiles of each and of all come from it)."""
    days = days_between(uk_date(Referral.discharged_at), Referral.discharge_ready_date).label("days")
    morning = case((uk_hour(Referral.discharged_at) < MIDDAY, 1), else_=0).label("before_midday")
    query = (select(Referral.pathway, days, morning, func.count()).where(*_discharged(period, filters))
             .group_by(Referral.pathway, days, morning))
    found, everyone = {}, _Tally()
    for pathway, n_days, before_midday, count in db.session.execute(query):
        found.setdefault(pathway, _Tally()).add(n_days, before_midday, count)
        everyone.add(n_days, before_midday, count)
    return found, everyone


def _timeliness_row(label: str, tally: _Tally) -> tuple:
    return (label, tally.discharges, one_place(percentile_of_counts(tally.days, 0.5)),
            one_place(percentile_of_counts(tally.days, 0.9)), percent(tally.on_drd, tally.with_drd),
            percent(tally.before_midday, tally.discharges))


def _pathway_tables(period: Period, filters: Filters) -> tuple[tuple[Table, ...], tuple[Headline, ...]]:
    found, total = _by_pathway(period, filters)
    everyone = total.discharges

    def of(pathway) -> _Tally:
        return found.get(pathway, _Tally())

    pathways = Table(
        id="discharge_pathways", title="Discharges by pathway",
        columns=(Column("pathway", "Pathway", "text"), Column("discharges", "Discharges"),
                 Column("share", "Share of discharges (%)", "percent")),
        rows=tuple((pathway_name(p), of(p).discharges, percent(of(p).discharges, everyone)) for p in PATHWAYS),
        chart=Chart("bar", x="pathway", series=("discharges",), title="Discharges by pathway"),
        note="Patients who left hospital in the period, by the pathway of the route they were on "
             "(P0 home with no new care, P1 home with support, P2 a community bed, P3 a care-home bed; "
             "\"a person decides\": a route with no pathway). " + FILTERS_NOTE)
    timeliness = Table(
        id="discharge_timeliness", title="Days from discharge ready date to discharge",
        columns=(Column("pathway", "Pathway", "text"), Column("discharges", "Discharges"),
                 Column("median_days", "Median days after the DRD", "days"),
                 Column("p90_days", "90th percentile (days)", "days"),
                 Column("on_drd", "Left on (or before) the DRD (%)", "percent"),
                 Column("before_midday", "Left before midday (%)", "percent")),
        rows=tuple(_timeliness_row(pathway_name(p), of(p)) for p in PATHWAYS)
        + (_timeliness_row("All discharges", total),),
        note="UK calendar days from the discharge ready date (DRD) to the day the patient left: 0 is "
             "the DRD itself (left before it counts as on it). The DRD is the current one, moved when "
             "readiness was given again; a patient whose readiness was withdrawn and not given again has "
             "none, and is counted among the discharges but not in the days or the share on the DRD. "
             "Before midday: left before 12:00 UK time. " + FILTERS_NOTE)
    home = sum(of(p).discharges for p in HOME_PATHWAYS)
    headlines = (
        Headline(id="discharge_home_pathways", label="Discharges home on P0 or P1", value=percent(home, everyone),
                 detail=f"{home} of {everyone} discharges" if everyone else "no discharges"),
        Headline(id="discharge_on_drd", label="Left hospital on the discharge ready date",
                 value=percent(total.on_drd, total.with_drd),
                 detail=(f"{total.on_drd} of {total.with_drd} discharges with a DRD" if total.with_drd
                         else "no discharges with a DRD")),
    )
    return (pathways, timeliness), headlines


def _delayed(period: Period, filters: Filters) -> list:
    """Delayed days of the period: their UK day in it (the patient may be in hospital still)."""
    where = [DelayedDay.day >= period.first, DelayedDay.day <= period.last]
    return where + filters.on_referrals()


def _reason_table(period: Period, filters: Filters) -> Table:
    query = select(DelayedDay.reason, func.count()).where(*_delayed(period, filters)).group_by(DelayedDay.reason)
    if filters.any:
        query = query.join(Referral, Referral.id == DelayedDay.referral_id)
    found = dict(db.session.execute(query).all())
    policy = current_policy().discharge
    # The policy's reasons in its order (none left out for having no days), then any
    # code since removed from the policy, then the days nobody gave a reason for.
    codes = list(policy.delay_reasons) + sorted(c for c in found if c is not None and c not in policy.delay_reasons)
    everyone = sum(found.values())
    rows = [(code, policy.reason_label(code), found.get(code, 0), percent(found.get(code, 0), everyone))
            for code in codes]
    rows.append(("", NO_REASON.capitalize(), found.get(None, 0), percent(found.get(None, 0), everyone)))
    return Table(
        id="discharge_delays_by_reason", title="Delayed days by reason",
        columns=(Column("code", "Code", "text"), Column("reason", "Reason", "text"),
                 Column("delayed_days", "Delayed days"), Column("share", "Share of delayed days (%)", "percent")),
        rows=tuple(rows),
        chart=Chart("bar", x="reason", series=("delayed_days",), title="Delayed days by reason"),
        note="Each UK day of the period a patient stayed in hospital after the discharge ready date, with "
             "the reason the ward or hub recorded for it (rules/policy/discharge.yaml); whether or not the "
             "patient has left since. A day counts once the daily check at the alert time, or a recorded "
             "reason, has made its row. " + FILTERS_NOTE)


def _hospital_table(period: Period, filters: Filters) -> Table:
    # Each patient's days first (a few per patient), so only the patients are joined to their referral.
    per_patient = (select(DelayedDay.referral_id, func.count().label("days"),
                          func.sum(case((DelayedDay.reason.is_(None), 1), else_=0)).label("unexplained"))
                   .where(DelayedDay.day >= period.first, DelayedDay.day <= period.last)
                   .group_by(DelayedDay.referral_id).subquery())
    grouped = (select(Referral.hospital_ods.label("ods"), func.sum(per_patient.c.days).label("days"),
                      func.count().label("patients"), func.sum(per_patient.c.unexplained).label("unexplained"))
               .select_from(per_patient).join(Referral, Referral.id == per_patient.c.referral_id)
               .where(*filters.on_referrals()).group_by(Referral.hospital_ods).subquery())
    # The hospital's name as a discharge from it gave it: one row each (the kind and hospital
    # index), after grouping, rather than reading every delayed day's discharge section.
    named = aliased(Referral)
    name = (select(named.discharge["hospital_name"].as_string())
            .where(named.kind == "discharge", named.hospital_ods == grouped.c.ods).limit(1).scalar_subquery())
    query = (select(grouped.c.ods, name, grouped.c.days, grouped.c.patients, grouped.c.unexplained)
             .order_by(grouped.c.days.desc(), grouped.c.ods))
    rows = tuple((ods or "", hospital or ods or "", int(days), patients, int(days - unexplained), int(unexplained))
                 for ods, hospital, days, patients, unexplained in db.session.execute(query))
    return Table(
        id="discharge_delays_by_hospital", title="Delayed days by hospital",
        columns=(Column("hospital_ods", "ODS code", "text"), Column("hospital", "Hospital", "text"),
                 Column("delayed_days", "Delayed days"), Column("patients", "Patients delayed"),
                 Column("with_reason", "With a reason"), Column("without_reason", "No reason recorded")),
        rows=rows,
        chart=Chart("stacked_bar", x="hospital", series=("with_reason", "without_reason"),
                    title="Delayed days by hospital"),
        note="The delayed days of the period (as in delayed days by reason) by the hospital the patient "
             "is in, most first. " + FILTERS_NOTE)


def _welfare(period: Period, filters: Filters) -> tuple[Table, Headline]:
    state = outcome(now()).label("outcome")
    # The route the check was started for (migration 0017; before it, the referral's now).
    route = func.coalesce(Clock.route, Referral.route).label("route")
    query = (select(route, state, func.count()).select_from(Clock)
             .join(Referral, Referral.id == Clock.referral_id)
             .where(Clock.name == WELFARE_CLOCK, *_discharged(period, filters))
             .group_by(route, state))
    found: dict[str, dict[str, int]] = {}
    for on, result, count in db.session.execute(query):
        found.setdefault(on, dict.fromkeys(OUTCOMES, 0))[result] = count

    def row(label, tally):
        return (label, sum(tally.values()), *(tally[o] for o in OUTCOMES), share_met(tally["met"], tally["breached"]))

    rows = [row(route_name(r), found[r]) for r in sorted(found, key=route_order)]
    total = {o: sum(t[o] for t in found.values()) for o in OUTCOMES}
    rows.append(row("All routes", total))
    table = Table(
        id="discharge_welfare_checks", title="Welfare checks within 24 hours of leaving hospital",
        columns=(Column("route", "Route", "text"), Column("checks", "Welfare checks"),
                 *(Column(o, o.capitalize()) for o in OUTCOMES),
                 Column("share_met", "Share made within 24 hours (%)", "percent")),
        rows=tuple(rows),
        note="The welfare-check clock of each patient who left hospital in the period, by the route it was "
             "started for (routes that run one: clocks.yaml): met when the service made contact within 24 hours "
             "of the time the ward gave, exactly 24 hours included; breached when not, even if nobody has "
             "recorded it yet; running while the 24 hours are not over. Share made = met / (met + breached). "
             + FILTERS_NOTE)
    decided = total["met"] + total["breached"]
    headline = Headline(id="discharge_welfare_checks", label="Welfare checks made within 24 hours",
                        value=share_met(total["met"], total["breached"]),
                        detail=f"{total['met']} of {decided} made in time" if decided else "none decided yet")
    return table, headline


def section(period: Period, filters: Filters) -> Section:
    pathway_tables, headlines = _pathway_tables(period, filters)
    welfare, welfare_headline = _welfare(period, filters)
    return Section(id="discharge", title="Hospital discharge",
                   tables=(*pathway_tables, _reason_table(period, filters), _hospital_table(period, filters), welfare),
                   headlines=(*headlines, welfare_headline),
                   note="Hospital discharges (transfers of care) of the period: patients who left hospital in it, "
                        "and the delayed days of its UK days.")
