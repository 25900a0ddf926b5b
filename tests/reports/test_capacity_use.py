"""The capacity section, against declarations and offers counted by hand: Saturday
24 and Sunday 25 October 2026 (the clocks go back at 02:00 BST on the Sunday).

    crisis_response (clinical)
        24 Oct  08:00 10/2, 13:00 10/7, 18:00 12/5   -> last 12/5, peak 7, peak use 70%
        25 Oct  00:30 BST (23:30 UTC on the 24th) 9/3, 23:30 GMT 8/8 -> last 8/8, peak 8, 100%
        23 Oct  a declaration before the period
        offers: 24 Oct 10:00 and 23:30 BST; 25 Oct 00:30 BST (still the 24th in UTC)
    vol_a "Age UK Northants" (voluntary): 24 Oct 09:00 5/0; offered r1 and r2 on the 24th;
        r1 accepted; r2 reassigned to vol_b on the 25th
    vol_b "Red Cross" (voluntary): 25 Oct 10:00 3/1 then 4/1 at the same instant (the later row
        is the last); offered r3 (from NHS 111) on the 25th and r2 by reassignment; r2 accepted,
        r3 handed back
    vol_d "Good Neighbours": active, nothing this weekend; vol_c: inactive, nothing
"""
from datetime import date

import pytest

from spoa.domain.period import Filters, Period
from spoa.extensions import db as _db
from spoa.reports import capacity_use as report
from tests.support.data.report_discharge_data import declaration, event, referral, service, uk

WEEKEND = Period(date(2026, 10, 24), date(2026, 10, 25))
VOLUNTARY = {"service": "voluntary_sector"}


@pytest.fixture
def weekend(db):
    service("crisis_response", "Crisis response")
    service("vol_a", "Age UK Northants", kind="voluntary")
    service("vol_b", "Red Cross", kind="voluntary")
    service("vol_c", "Closed Charity", kind="voluntary", is_active=False)
    service("vol_d", "Good Neighbours", kind="voluntary")
    declaration("crisis_response", uk(2026, 10, 23, 18, 0), 20, 1)
    declaration("crisis_response", uk(2026, 10, 24, 8, 0), 10, 2)
    declaration("crisis_response", uk(2026, 10, 24, 13, 0), 10, 7)
    declaration("crisis_response", uk(2026, 10, 24, 18, 0), 12, 5)
    declaration("crisis_response", uk(2026, 10, 25, 0, 30), 9, 3)
    declaration("crisis_response", uk(2026, 10, 25, 23, 30), 8, 8)
    declaration("vol_a", uk(2026, 10, 24, 9, 0), 5, 0)
    declaration("vol_b", uk(2026, 10, 25, 10, 0), 3, 1)
    declaration("vol_b", uk(2026, 10, 25, 10, 0), 4, 1)

    for at in (uk(2026, 10, 24, 10, 0), uk(2026, 10, 24, 23, 30), uk(2026, 10, 25, 0, 30)):
        crisis = referral(at, route="crisis_response", state="accepted")
        event(crisis, "offer", at, {"service": "crisis_response"})
        event(crisis, "accept", at)  # a clinical service's acceptance: no organisation's
    after = referral(uk(2026, 10, 26, 0, 0))
    event(after, "offer", uk(2026, 10, 26, 0, 0), {"service": "crisis_response"})

    r1 = referral(uk(2026, 10, 24, 11, 0), route="voluntary_sector", state="accepted", assigned_service="vol_a")
    event(r1, "offer", uk(2026, 10, 24, 11, 0), {**VOLUNTARY, "organisation": "vol_a"})
    event(r1, "accept", uk(2026, 10, 24, 12, 0))
    r2 = referral(uk(2026, 10, 24, 15, 0), route="voluntary_sector", state="accepted", assigned_service="vol_b")
    event(r2, "offer", uk(2026, 10, 24, 15, 0), {**VOLUNTARY, "organisation": "vol_a"})
    event(r2, "reassign", uk(2026, 10, 25, 11, 0),
          {**VOLUNTARY, "organisation": "vol_b", "previous_organisation": "vol_a"})
    event(r2, "accept", uk(2026, 10, 25, 12, 0))
    r3 = referral(uk(2026, 10, 25, 10, 30), source="nhs111", route="supervisor_review", state="in_review")
    event(r3, "offer", uk(2026, 10, 25, 10, 30), {**VOLUNTARY, "organisation": "vol_b"})
    event(r3, "decline", uk(2026, 10, 25, 14, 0), {**VOLUNTARY, "organisation": "vol_b"})
    _db.session.commit()


def tables(filters=Filters()):
    return {t.id: t for t in report.section(WEEKEND, filters).tables}


def test_use_against_declared_capacity_per_service_per_day(weekend):
    daily = tables()["capacity_use"]
    # service, code, unit, day, declared (last), in use (last), peak in use, peak use %, offered
    assert daily.rows == (
        ("Age UK Northants", "vol_a", "referrals today", date(2026, 10, 24), 5, 0, 0, 0.0, 2),
        ("Crisis response", "crisis_response", "visits this shift", date(2026, 10, 24), 12, 5, 7, 70.0, 2),
        ("Crisis response", "crisis_response", "visits this shift", date(2026, 10, 25), 8, 8, 8, 100.0, 1),
        ("Red Cross", "vol_b", "referrals today", date(2026, 10, 25), 4, 1, 1, 33.3, 2),
    )


def test_peak_use_per_day_for_the_chart(weekend):
    peak = tables()["capacity_peak_use"]
    assert [c.key for c in peak.columns] == ["day", "vol_a", "crisis_response", "vol_b"]
    assert peak.rows == ((date(2026, 10, 24), 0.0, 70.0, None), (date(2026, 10, 25), None, 100.0, 33.3))
    assert peak.chart.series == ("vol_a", "crisis_response", "vol_b")


def test_what_each_duty_organisation_took(weekend):
    duty = tables()["capacity_duty_organisations"]
    # organisation, code, days declared, places declared, offered, accepted, handed back, accepted %
    assert duty.rows == (
        ("Age UK Northants", "vol_a", 1, 5, 2, 1, 0, 50.0),
        ("Good Neighbours", "vol_d", 0, 0, 0, 0, 0, None),
        ("Red Cross", "vol_b", 1, 4, 2, 1, 1, 50.0),
    )


def test_filters_narrow_the_referrals_not_the_declarations(weekend):
    narrowed = tables(Filters(source="nhs111"))
    assert narrowed["capacity_use"].rows == (
        ("Age UK Northants", "vol_a", "referrals today", date(2026, 10, 24), 5, 0, 0, 0.0, 0),
        ("Crisis response", "crisis_response", "visits this shift", date(2026, 10, 24), 12, 5, 7, 70.0, 0),
        ("Crisis response", "crisis_response", "visits this shift", date(2026, 10, 25), 8, 8, 8, 100.0, 0),
        ("Red Cross", "vol_b", "referrals today", date(2026, 10, 25), 4, 1, 1, 33.3, 1),
    )
    assert narrowed["capacity_duty_organisations"].rows[-1] == ("Red Cross", "vol_b", 1, 4, 1, 0, 1, 0.0)
    assert "not narrowed" in narrowed["capacity_use"].note
    by_route = tables(Filters(route="crisis_response"))["capacity_use"]
    assert by_route.values("offered") == [0, 2, 1, 0]


def test_nothing_declared(db):
    found = tables()
    assert found["capacity_use"].rows == ()
    assert found["capacity_peak_use"].chart is None
