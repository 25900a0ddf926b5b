"""Performance: clocks met, breached, running and cancelled per route and clock,
the 2-hour headline, and hours to first contact (median and 90th percentile),
counted by hand."""
from datetime import date

import pytest
import time_machine

from spoa.domain.period import Filters, Period
from spoa.reports import performance, two_hour
from tests.support.data.report_data import commit, due_in, first_contact, override, referral, utc

WEEK = Period(date(2026, 10, 19), date(2026, 10, 25))
NOW = utc("2026-10-26T12:00Z")
CRISIS = "Crisis response (2-hour urgent community response)"


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def section(filters=Filters()):
    return performance.section(WEEK, filters)


def table(table_id, filters=Filters()):
    return next(t for t in section(filters).tables if t.id == table_id)


def rows(found):
    keys = [c.key for c in found.columns]
    return [dict(zip(keys, row, strict=True)) for row in found.rows]


def outcomes(filters=Filters()):
    return {(r["route"], r["clock"]): (r["met"], r["breached"], r["running"], r["cancelled"], r["share_met"])
            for r in rows(table("performance_clocks", filters))}


def test_each_clock_counted_by_its_outcome_now(db, frozen):
    exactly = referral("2026-10-20T09:00Z")
    due_in(exactly, met_at="2026-10-20T11:00:00Z")                   # met exactly at the deadline: met
    late = referral("2026-10-20T09:00Z")
    due_in(late, met_at="2026-10-20T11:00:01Z")                      # a second late: breached
    recorded = referral("2026-10-21T09:00Z")
    due_in(recorded, breached_at="2026-10-21T11:00Z")                # its breach recorded
    unrecorded = referral("2026-10-21T09:00Z")
    due_in(unrecorded)                                               # passed unmet, not yet recorded: breached
    running = referral("2026-10-25T22:00Z")
    due_in(running, hours=24)                                        # due tonight: running
    closed = referral("2026-10-22T09:00Z")
    due_in(closed, cancelled_at="2026-10-22T10:00Z")                 # stopped before its deadline: cancelled
    closed_late = referral("2026-10-22T09:00Z")
    due_in(closed_late, cancelled_at="2026-10-22T12:00Z")            # stopped after it: breached
    for r in (exactly, late):
        due_in(r, "triage", hours=0, met_at=r.received_at)          # triaged at once: met
    rehab = referral("2026-10-23T09:00Z", route="home_rehab")
    due_in(rehab, "accept", hours=24, met_at="2026-10-23T15:00Z")
    due_in(rehab, "start", hours=48)                                 # due the 25th, unmet: breached
    before = referral("2026-10-18T22:59Z")                           # 23:59 BST on the Sunday before
    due_in(before, met_at="2026-10-18T23:30Z")
    commit()

    assert outcomes() == {
        ("crisis_response", "triage"): (2, 0, 0, 0, 100.0),
        ("crisis_response", "first_contact"): (1, 4, 1, 1, 20.0),
        ("home_rehab", "accept"): (1, 0, 0, 0, 100.0),
        ("home_rehab", "start"): (0, 1, 0, 0, 0.0),
    }
    found = table("performance_clocks")
    assert [r["label"] for r in rows(found)][:2] == [f"{CRISIS}: triage", f"{CRISIS}: first contact"]
    assert found.chart.kind == "stacked_bar" and found.chart.series == ("met", "breached", "running", "cancelled")


def test_share_met_is_none_while_nothing_is_decided(db, frozen):
    due_in(referral("2026-10-25T22:00Z"), hours=48)
    commit()
    assert outcomes() == {("crisis_response", "first_contact"): (0, 0, 1, 0, None)}


def test_a_referral_received_at_uk_midnight_across_the_clock_change(db, frozen):
    # Sunday 25 October 23:30 GMT is the period's last half hour; 24 October 23:30 UTC
    # (00:30 BST) is already the 25th, and 18 October 23:00 UTC (00:00 BST) the 19th.
    for received in ("2026-10-18T23:00Z", "2026-10-24T23:30Z", "2026-10-25T23:30Z"):
        due_in(referral(received), met_at=received)
    due_in(referral("2026-10-26T00:00Z"), met_at="2026-10-26T00:01Z")  # Monday: the next week's
    commit()
    assert outcomes()[("crisis_response", "first_contact")][0] == 3


def test_the_2_hour_headline_is_two_hours_own_figure(db, frozen):
    for minutes in (60, 90, 120):
        r = referral("2026-10-20T09:00Z")
        due_in(r, met_at=f"2026-10-20T{9 + minutes // 60:02d}:{minutes % 60:02d}Z")
    due_in(referral("2026-10-20T09:00Z"), met_at="2026-10-20T11:30Z")
    due_in(referral("2026-10-20T09:00Z", route="reablement"), met_at="2026-10-20T09:30Z")  # not crisis
    commit()

    (headline,) = section().headlines
    assert (headline.id, headline.value, headline.target) == ("two_hour", 75.0, 70.0)
    assert headline.meets_target is True
    assert "2-hour figure" in section(Filters(route="reablement")).note
    assert section(Filters(route="crisis_response")).note == ""


def test_hours_to_first_contact_median_and_90th_percentile(db, frozen):
    # Crisis response, first contacts after 1, 2, 3 and 10 hours: the median is 2.5,
    # the 90th percentile 3 + 0.7 x (10 - 3) = 7.9 (interpolated, as percentile_cont).
    for hours in (1, 2, 3, 10):
        r = referral("2026-10-20T08:00Z")
        first_contact(r, f"2026-10-20T{8 + hours:02d}:00Z")
        first_contact(r, "2026-10-22T08:00Z")                       # a later contact: not the first
    referral("2026-10-21T08:00Z")                                   # not contacted yet: counted, no time
    # Across the clock change: 01:30 BST to 02:30 GMT is two hours, though the wall clock moved one.
    across = referral("2026-10-25T00:30Z", route="reablement")
    first_contact(across, "2026-10-25T02:30Z")
    referral("2026-10-21T08:00Z", route="supervisor_review")        # a route no service works: left out
    commit()

    found = rows(table("performance_first_contact"))
    assert found == [
        {"route": "crisis_response", "route_name": CRISIS,
         "referrals": 5, "contacted": 4, "median_hours": 2.5, "p90_hours": 7.9},
        {"route": "reablement", "route_name": "Reablement", "referrals": 1, "contacted": 1,
         "median_hours": 2.0, "p90_hours": 2.0},
    ]


def test_a_service_route_with_nobody_contacted_shows_no_times(db, frozen):
    referral("2026-10-21T08:00Z", route="home_rehab")
    commit()
    assert rows(table("performance_first_contact")) == [
        {"route": "home_rehab", "route_name": "Home-based rehabilitation", "referrals": 1, "contacted": 0,
         "median_hours": None, "p90_hours": None}]


def test_filters_narrow_clocks_and_first_contact(db, frozen):
    emas = referral("2026-10-20T09:00Z", source="emas")
    due_in(emas, met_at="2026-10-20T10:00Z")
    first_contact(emas, "2026-10-20T10:00Z")
    gp = referral("2026-10-20T09:00Z", source="gp")
    due_in(gp, met_at="2026-10-20T12:00Z")
    first_contact(gp, "2026-10-20T12:00Z")
    rehab = referral("2026-10-20T09:00Z", source="emas", route="reablement")
    due_in(rehab, "start", hours=48, met_at="2026-10-20T10:00Z")
    commit()

    assert outcomes(Filters(source="emas")) == {("crisis_response", "first_contact"): (1, 0, 0, 0, 100.0),
                                                ("reablement", "start"): (1, 0, 0, 0, 100.0)}
    assert outcomes(Filters(route="crisis_response", source="gp")) == {
        ("crisis_response", "first_contact"): (0, 1, 0, 0, 0.0)}
    contact = rows(table("performance_first_contact", Filters(source="emas", route="crisis_response")))
    assert [(r["contacted"], r["median_hours"]) for r in contact] == [(1, 1.0)]
    assert section(Filters(source="gp")).headlines[0].value == 0.0


def test_a_clock_stays_under_the_route_it_was_started_for(db, frozen):
    # Breached on crisis response, then overridden to home rehab: the breach is crisis
    # response's; the home rehab clock the override started is home rehab's.
    moved = referral("2026-10-20T09:00Z")
    due_in(moved, cancelled_at="2026-10-20T12:00Z")
    override(moved, "2026-10-20T12:00Z", "home_rehab")
    due_in(moved, "accept", hours=24, met_at="2026-10-20T15:00Z")
    commit()

    assert outcomes() == {("crisis_response", "first_contact"): (0, 1, 0, 0, 0.0),
                          ("home_rehab", "accept"): (1, 0, 0, 0, 100.0)}
    assert outcomes(Filters(route="home_rehab")) == {("home_rehab", "accept"): (1, 0, 0, 0, 100.0)}


def test_the_headline_is_two_hour_counts_own_figure_whatever_the_filter(db, frozen):
    due_in(referral("2026-10-20T09:00Z", source="emas"), met_at="2026-10-20T10:00Z")
    due_in(referral("2026-10-20T09:00Z", source="gp"), met_at="2026-10-20T12:00Z")
    due_in(referral("2026-10-21T09:00Z", route="home_rehab"), "accept", hours=24, met_at="2026-10-21T10:00Z")
    commit()
    for filters in (Filters(), Filters(source="gp"), Filters(route="home_rehab"), Filters(route="crisis_response")):
        assert section(filters).headlines[0] == two_hour.headline(WEEK, filters), filters
