"""The hospital discharge section, against discharges counted by hand: the week of
the autumn clock change (19-25 October 2026, Monday to Sunday, its Sunday 25 hours).

    discharge  pathway (route)       DRD     left hospital (UK time)   days  before 12:00
    A          P1 home_rehab         24 Oct  Sat 24 Oct 23:30 (BST)    0     no
    B          P1 reablement         24 Oct  Sun 25 Oct 00:30 (BST)    1     yes   (still 24 Oct in UTC)
    C          P0 voluntary_sector   20 Oct  Tue 20 Oct 11:59 (BST)    0     yes
    D          P0 discharge_simple   20 Oct  Tue 20 Oct 12:00 (BST)    0     no    (10:59 and 11:00 UTC)
    E          P2 bed_rehab          19 Oct  Fri 23 Oct 10:00          4     yes
    F          a person decides      - (referred 21 Oct, withdrawn)  Thu 22 Oct 15:00   -   no
    G          P1 home_rehab         22 Oct (referred 19 Oct, moved)  Thu 22 Oct 09:00   0   yes
    H          P0 discharge_simple   19 Oct  Mon 19 Oct 00:00 (Sun 23:00 UTC)   0   yes
    L          P1 reablement         22 Oct  Sun 25 Oct 20:00 (GMT)    3     no
    out of the period: left Sun 18 Oct 23:30 UK, left Mon 26 Oct 00:00 UK; K still in hospital
"""
from datetime import date

import pytest
import time_machine

from spoa.domain.period import Filters, Period
from spoa.extensions import db as _db
from spoa.reports import discharge as report
from tests.support.data.report_discharge_data import clock, delayed, discharge, uk, utc

WEEK = Period(date(2026, 10, 19), date(2026, 10, 25))
NOW = utc(2026, 10, 26, 9, 0)  # the Monday after: the week's report


@pytest.fixture
def week(db):
    made = {
        "A": discharge(uk(2026, 10, 24, 23, 30), drd=date(2026, 10, 24), pathway=1, route="home_rehab"),
        "B": discharge(uk(2026, 10, 25, 0, 30), drd=date(2026, 10, 24), pathway=1, route="reablement"),
        "C": discharge(uk(2026, 10, 20, 11, 59), drd=date(2026, 10, 20), pathway=0, route="voluntary_sector"),
        "D": discharge(uk(2026, 10, 20, 12, 0), drd=date(2026, 10, 20), pathway=0, route="discharge_simple"),
        "E": discharge(uk(2026, 10, 23, 10, 0), drd=date(2026, 10, 19), pathway=2, route="bed_rehab"),
        "F": discharge(uk(2026, 10, 22, 15, 0), drd=None, referred_drd=date(2026, 10, 21), pathway=None,
                       route="supervisor_review", source="community_hospital"),
        "G": discharge(uk(2026, 10, 22, 9, 0), drd=date(2026, 10, 22), referred_drd=date(2026, 10, 19), pathway=1,
                       route="home_rehab"),
        "H": discharge(uk(2026, 10, 19, 0, 0), drd=date(2026, 10, 19), pathway=0, route="discharge_simple"),
        "L": discharge(uk(2026, 10, 25, 20, 0), drd=date(2026, 10, 22), pathway=1, route="reablement"),
        "before": discharge(uk(2026, 10, 18, 23, 30), drd=date(2026, 10, 18), pathway=1),
        "after": discharge(uk(2026, 10, 26, 0, 0), drd=date(2026, 10, 26), pathway=1),
        "K": discharge(None, drd=date(2026, 10, 20), pathway=3, route="care_home_assessment", hospital_ods="RWE01",
                       hospital_name="Leicester Royal Infirmary", source="community_hospital"),
    }
    _db.session.commit()
    return made


def test_discharges_by_pathway_and_the_p0_p1_share(week):
    section = report.section(WEEK, Filters())
    table = section.tables[0]
    assert table.id == "discharge_pathways"
    assert table.rows == (("P0", 3, 33.3), ("P1", 4, 44.4), ("P2", 1, 11.1), ("P3", 0, 0.0),
                          ("A person decides", 1, 11.1))
    home = next(h for h in section.headlines if h.id == "discharge_home_pathways")
    assert (home.value, home.detail) == (77.8, "7 of 9 discharges")


def test_days_from_the_drd_on_the_drd_and_before_midday(week):
    table = {t.id: t for t in report.section(WEEK, Filters()).tables}["discharge_timeliness"]
    # pathway, discharges, median, 90th percentile, on the DRD %, before midday %
    assert table.rows == (
        ("P0", 3, 0.0, 0.0, 100.0, 66.7),         # C 11:59 before midday, D 12:00 not
        ("P1", 4, 0.5, 2.4, 50.0, 50.0),          # days 0 (A), 1 (B: past UK midnight), 0 (G: its new DRD), 3 (L)
        ("P2", 1, 4.0, 4.0, 0.0, 100.0),
        ("P3", 0, None, None, None, None),
        ("A person decides", 1, None, None, None, 0.0),  # F: readiness withdrawn, no DRD to count from
        ("All discharges", 9, 0.0, 3.3, 62.5, 55.6),     # days of the 8 with a DRD: 0 0 0 0 0 1 3 4
    )


def test_the_drd_headline(week):
    headline = {h.id: h for h in report.section(WEEK, Filters()).headlines}["discharge_on_drd"]
    assert (headline.value, headline.detail) == (62.5, "5 of 8 discharges with a DRD")


def test_filters_narrow_the_discharges(week):
    by_route = {t.id: t for t in report.section(WEEK, Filters(route="reablement")).tables}
    assert by_route["discharge_pathways"].values("discharges") == [0, 2, 0, 0, 0]  # B and L
    by_source = {t.id: t for t in report.section(WEEK, Filters(source="community_hospital")).tables}
    assert by_source["discharge_timeliness"].rows[-1] == ("All discharges", 1, None, None, None, 0.0)  # F


def test_an_empty_period_divides_nothing(db):
    section = report.section(WEEK, Filters())
    tables = {t.id: t for t in section.tables}
    assert tables["discharge_pathways"].values("share") == [None] * 5
    assert tables["discharge_timeliness"].rows[-1] == ("All discharges", 0, None, None, None, None)
    assert [h.value for h in section.headlines] == [None, None, None]


@pytest.fixture
def delays(week):
    e, k = week["E"], week["K"]
    delayed(e, date(2026, 10, 20), "awaiting_care_package")
    delayed(e, date(2026, 10, 21), "awaiting_care_package")
    delayed(e, date(2026, 10, 22), None)                       # nobody said why
    delayed(k, date(2026, 10, 18), "transport")                # the day before the period
    delayed(k, date(2026, 10, 23), "legacy_reason")            # a code since removed from the policy
    delayed(k, date(2026, 10, 24), "transport")
    delayed(k, date(2026, 10, 25), "awaiting_care_home")       # the 25-hour Sunday: one day
    delayed(k, date(2026, 10, 26), "transport")                # the day after
    _db.session.commit()


def test_delayed_days_by_reason(delays):
    table = {t.id: t for t in report.section(WEEK, Filters()).tables}["discharge_delays_by_reason"]
    assert table.rows == (
        ("awaiting_care_package", "Awaiting a package of care at home", 2, 33.3),
        ("awaiting_community_bed", "Awaiting a community (rehab or intermediate care) bed", 0, 0.0),
        ("awaiting_care_home", "Awaiting a care-home placement", 1, 16.7),
        ("awaiting_equipment", "Awaiting equipment or adaptations", 0, 0.0),
        ("awaiting_assessment", "Awaiting an assessment", 0, 0.0),
        ("patient_or_family_choice", "Patient or family choice", 0, 0.0),
        ("transport", "Awaiting transport", 1, 16.7),
        ("readiness_withdrawn", "No longer ready for discharge (readiness withdrawn)", 0, 0.0),
        ("legacy_reason", "legacy reason", 1, 16.7),
        ("", "No reason recorded", 1, 16.7),
    )
    assert table.chart.x == "reason"


def test_delayed_days_by_hospital(delays):
    table = {t.id: t for t in report.section(WEEK, Filters()).tables}["discharge_delays_by_hospital"]
    # ods, hospital, delayed days, patients, with a reason, without
    assert table.rows == (("RNS01", "Northampton General Hospital", 3, 1, 2, 1),
                          ("RWE01", "Leicester Royal Infirmary", 3, 1, 3, 0))


def test_delayed_days_narrowed_by_source(delays):
    tables = {t.id: t for t in report.section(WEEK, Filters(source="community_hospital")).tables}
    assert sum(tables["discharge_delays_by_reason"].values("delayed_days")) == 3  # K's days only
    assert tables["discharge_delays_by_hospital"].values("hospital_ods") == ["RWE01"]


def test_welfare_checks_within_24_hours(week):
    a, b, c, g, l_ = week["A"], week["B"], week["C"], week["G"], week["L"]
    left_a = uk(2026, 10, 24, 23, 30)
    clock(a, "welfare_check", started_at=left_a, deadline=utc(2026, 10, 25, 22, 30),
          met_at=utc(2026, 10, 25, 22, 30))                                        # met exactly at 24 h: met
    clock(a, "discharge", started_at=a.received_at, deadline=utc(2026, 10, 24, 22, 59))  # not a welfare check
    clock(b, "welfare_check", started_at=b.discharged_at, deadline=utc(2026, 10, 25, 23, 30),
          met_at=utc(2026, 10, 25, 23, 30, 1))                                     # a second late: breached
    clock(c, "welfare_check", started_at=c.discharged_at, deadline=utc(2026, 10, 21, 10, 59))  # unmet, passed
    clock(g, "welfare_check", started_at=g.discharged_at, deadline=utc(2026, 10, 23, 8, 0),
          cancelled_at=utc(2026, 10, 22, 9, 0), status="cancelled")
    clock(l_, "welfare_check", started_at=l_.discharged_at, deadline=utc(2026, 10, 26, 20, 0))  # still running
    # Re-routed after its check started: counted for the route the check was started for.
    m = discharge(uk(2026, 10, 21, 14, 0), drd=date(2026, 10, 21), pathway=None, route="supervisor_review")
    clock(m, "welfare_check", started_at=m.discharged_at, deadline=utc(2026, 10, 22, 13, 0),
          met_at=utc(2026, 10, 22, 9, 0), route="voluntary_sector")
    clock(week["before"], "welfare_check", started_at=week["before"].discharged_at,
          deadline=utc(2026, 10, 19, 22, 30))                                      # left before the period
    _db.session.commit()
    with time_machine.travel(NOW, tick=False):
        section = report.section(WEEK, Filters())
    table = {t.id: t for t in section.tables}["discharge_welfare_checks"]
    # route, checks, met, breached, running, cancelled, share made in 24 h
    assert table.rows == (
        ("Home-based rehabilitation", 2, 1, 0, 0, 1, 100.0),
        ("Reablement", 2, 0, 1, 1, 0, 0.0),
        ("Voluntary sector (on duty)", 2, 1, 1, 0, 0, 50.0),
        ("All routes", 6, 2, 2, 1, 1, 50.0),
    )
    headline = {h.id: h for h in section.headlines}["discharge_welfare_checks"]
    assert (headline.value, headline.detail) == (50.0, "2 of 4 made in time")
