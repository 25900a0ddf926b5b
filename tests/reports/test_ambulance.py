"""The ambulance shift section, against EMAS referrals counted by hand: two summer
weeks (Monday 29 June to Sunday 12 July 2026, BST).

    referral  category  received (UTC)            UK week of    route now            accepted  redirected
    e1        3         Sun 5 Jul 22:30 (23:30)   29 Jun        crisis_response      yes       no
    e2        4         Sun 5 Jul 23:30 (Mon 00:30) 6 Jul       emergency_redirect   no        yes
    e3        5         Sun 28 Jun 23:10 (Mon 00:10) 29 Jun     emergency_redirect   yes       yes (after)
    e4        3         Wed 8 Jul 10:00           6 Jul         home_rehab           no        no
    e5        3         Sun 12 Jul 22:59 (23:59)  6 Jul         crisis_response      yes       no
    outside: category 3 at Sun 12 Jul 23:00 UTC (Monday 13th UK), category 4 at Sun 28 Jun 22:59 UTC
    (Sunday UK); a GP referral in the period, accepted.
"""
from datetime import date

import pytest

from spoa.domain.period import Filters, Period
from spoa.extensions import db as _db
from spoa.reports import ambulance as report
from tests.support.data.report_discharge_data import emas, event, referral, utc

WEEKS = Period(date(2026, 6, 29), date(2026, 7, 12))
CRISIS = "Crisis response (2-hour urgent community response)"


@pytest.fixture
def shift(db):
    e1 = emas(utc(2026, 7, 5, 22, 30), 3, route="crisis_response", state="in_progress")
    event(e1, "accept", utc(2026, 7, 5, 23, 0))
    event(e1, "first_contact", utc(2026, 7, 5, 23, 40))
    emas(utc(2026, 7, 5, 23, 30), 4, route="emergency_redirect", state="redirected")
    e3 = emas(utc(2026, 6, 28, 23, 10), 5, route="emergency_redirect", state="redirected")
    event(e3, "accept", utc(2026, 6, 29, 1, 0))
    event(e3, "redirect", utc(2026, 6, 29, 2, 0))
    emas(utc(2026, 7, 8, 10, 0), 3, route="home_rehab", state="offered")
    e5 = emas(utc(2026, 7, 12, 22, 59), 3, route="crisis_response", state="accepted")
    event(e5, "accept", utc(2026, 7, 13, 0, 30))  # accepted after the period: still accepted
    late = emas(utc(2026, 7, 12, 23, 0), 3, route="crisis_response", state="accepted")
    event(late, "accept", utc(2026, 7, 13, 1, 0))
    emas(utc(2026, 6, 28, 22, 59), 4, route="crisis_response", state="accepted")
    gp = referral(utc(2026, 7, 1, 9, 0), source="gp", route="crisis_response", state="accepted")
    event(gp, "accept", utc(2026, 7, 1, 9, 30))
    _db.session.commit()


def tables(filters=Filters()):
    return {t.id: t for t in report.section(WEEKS, filters).tables}


def test_week_by_week_in_uk_iso_weeks(shift):
    weekly = tables()["ambulance_weekly"]
    # week, category 3, 4, 5, referrals, accepted, redirected
    assert weekly.rows == ((date(2026, 6, 29), 1, 0, 1, 2, 2, 1),   # e1 (Sunday 23:30 BST), e3
                           (date(2026, 7, 6), 2, 1, 0, 3, 1, 1))    # e2 (Sunday 23:30 UTC is Monday), e4, e5
    assert weekly.chart.kind == "stacked_bar"
    assert weekly.chart.series == ("category_3", "category_4", "category_5")


def test_what_became_of_them_by_category(shift):
    outcomes = tables()["ambulance_outcomes"]
    # category, referrals, accepted, %, redirected, %
    assert outcomes.rows == (("Category 3", 3, 2, 66.7, 0, 0.0),
                             ("Category 4", 1, 0, 0.0, 1, 100.0),
                             ("Category 5", 1, 1, 100.0, 1, 100.0))  # accepted, then redirected: both


def test_by_route(shift):
    routes = tables()["ambulance_routes"]
    assert routes.rows == ((CRISIS, 2, 0, 0, 2),
                           ("Redirect to 999 or ED", 0, 1, 1, 2),
                           ("Home-based rehabilitation", 1, 0, 0, 1))


def test_route_filter_applies_and_source_filter_does_not(shift):
    narrowed = tables(Filters(route="crisis_response"))
    assert narrowed["ambulance_routes"].rows == ((CRISIS, 2, 0, 0, 2),)
    assert narrowed["ambulance_weekly"].values("referrals") == [1, 1]
    assert tables(Filters(source="gp"))["ambulance_weekly"].rows == tables()["ambulance_weekly"].rows
    assert "source filter does not apply" in narrowed["ambulance_weekly"].note


def test_weeks_with_no_referrals_are_zero_rows(db):
    weekly = tables()["ambulance_weekly"]
    assert weekly.rows == ((date(2026, 6, 29), 0, 0, 0, 0, 0, 0), (date(2026, 7, 6), 0, 0, 0, 0, 0, 0))
    assert tables()["ambulance_outcomes"].values("accepted_share") == [None, None, None]
