"""The 2-hour urgent community response figure (two_hour.py): crisis response
referrals received in the period, their first-contact clocks as they stand now."""
from datetime import date

import pytest
import time_machine

from spoa.domain.period import Filters, Period
from spoa.reports import two_hour
from tests.support.data.report_data import commit, due_in, override, referral, utc

WEEK = Period(date(2026, 10, 19), date(2026, 10, 25))  # Mon-Sun, the clocks go back on the Sunday
NOW = utc("2026-10-26T12:00Z")


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def crisis(received, source="gp"):
    return referral(received, source=source, route="crisis_response")


def test_met_exactly_at_the_deadline_is_met_and_a_second_late_is_breached(db, frozen):
    on_time = crisis("2026-10-20T09:00Z")
    due_in(on_time, met_at="2026-10-20T11:00:00Z")           # exactly 2 hours
    late = crisis("2026-10-20T10:00Z")
    due_in(late, met_at="2026-10-20T12:00:01Z")              # 2 hours and a second
    commit()

    assert two_hour.counts(WEEK) == {"met": 1, "breached": 1, "running": 0, "cancelled": 0}
    headline = two_hour.headline(WEEK)
    assert headline.value == 50.0
    assert headline.meets_target is False
    assert headline.detail == "1 of 2 met within 2 hours"
    assert headline.target == 70.0


def test_counts_every_outcome_of_crisis_response_first_contact_clocks_only(db, frozen):
    for minutes in (30, 60, 90):
        due_in(crisis(f"2026-10-21T09:{minutes % 60:02d}Z"), met_at=f"2026-10-21T10:{minutes % 60:02d}Z")
    unrecorded = crisis("2026-10-22T09:00Z")
    due_in(unrecorded)                                         # passed unmet, nobody has recorded it: breached
    due_in(crisis("2026-10-26T11:00Z"))                        # received after the week: not in it
    due_in(crisis("2026-10-25T23:30Z"))                        # Sunday 23:30 GMT: in; due 01:30, now passed
    running = crisis("2026-10-25T23:59Z")
    due_in(running, hours=24)                                  # deadline Monday 23:59: running now
    cancelled = crisis("2026-10-23T09:00Z")
    due_in(cancelled, cancelled_at="2026-10-23T09:30Z")        # closed before its deadline
    due_in(crisis("2026-10-23T10:00Z"), "triage", hours=0, met_at="2026-10-23T10:00Z")  # another clock
    due_in(referral("2026-10-23T10:00Z", route="reablement"), met_at="2026-10-23T10:10Z")  # another route
    commit()

    # met: 3; breached: the unrecorded one and Sunday 23:30's (due 01:30, nothing recorded); running: 1
    assert two_hour.counts(WEEK) == {"met": 3, "breached": 2, "running": 1, "cancelled": 1}
    headline = two_hour.headline(WEEK)
    assert headline.value == 60.0
    assert headline.detail == "3 of 5 met within 2 hours; 1 still within their 2 hours"


def test_the_week_starts_and_ends_at_uk_midnight(db, frozen):
    due_in(crisis("2026-10-18T22:59Z"), met_at="2026-10-18T23:30Z")  # Sunday 23:59 BST: the week before
    due_in(crisis("2026-10-18T23:00Z"), met_at="2026-10-18T23:30Z")  # Monday 00:00 BST: in
    due_in(crisis("2026-10-25T23:59Z"), met_at="2026-10-26T00:30Z")  # Sunday 23:59 GMT: in
    due_in(crisis("2026-10-26T00:00Z"), met_at="2026-10-26T00:30Z")  # Monday 00:00 GMT: the week after
    commit()

    assert two_hour.counts(WEEK)["met"] == 2


def test_source_filter_narrows_and_nothing_decided_is_no_figure(db, frozen):
    due_in(crisis("2026-10-20T09:00Z", source="emas"), met_at="2026-10-20T10:00Z")
    due_in(crisis("2026-10-20T09:00Z", source="gp"), hours=200)  # due 28 Oct: running
    commit()

    assert two_hour.counts(WEEK, Filters(source="emas"))["met"] == 1
    gp = two_hour.headline(WEEK, Filters(source="gp"))
    assert gp.value is None and gp.meets_target is None
    assert gp.detail == "none decided yet; 1 still within their 2 hours"


def test_a_breach_stays_a_crisis_response_breach_after_a_re_route(db, frozen):
    # The 2 hours ran out, then a supervisor moved it to home rehab (its clock cancelled
    # then, after the deadline): still a crisis response breach, though its route now differs.
    breached = crisis("2026-10-20T09:00Z")
    due_in(breached, cancelled_at="2026-10-20T12:00Z")
    override(breached, "2026-10-20T12:00Z", "home_rehab")
    # Moved an hour in, before its deadline: cancelled, in neither met nor breached.
    moved = crisis("2026-10-20T09:00Z")
    due_in(moved, cancelled_at="2026-10-20T10:00Z")
    override(moved, "2026-10-20T10:00Z", "home_rehab")
    # Moved to crisis response from elsewhere: its first contact clock is the new route's.
    joined = referral("2026-10-21T09:00Z", route="home_rehab")
    override(joined, "2026-10-21T09:30Z", "crisis_response")
    due_in(joined, met_at="2026-10-21T10:00Z")
    commit()

    assert two_hour.counts(WEEK) == {"met": 1, "breached": 1, "running": 0, "cancelled": 1}
    assert two_hour.headline(WEEK).detail == "1 of 2 met within 2 hours"
