"""Pushed 999 calls (push.py): per UK day, what became of the calls the ambulance
service pushed, and the three ratios, from audit rows as the lifecycle writes them."""
from datetime import date, timedelta

import pytest
import time_machine

from spoa.domain.period import Filters, Period
from spoa.reports import push, sections
from tests.support.data.report_data import commit, event, referral, utc

WEEK = Period(date(2026, 10, 19), date(2026, 10, 25))  # Mon-Sun, the clocks go back on the Sunday
NOW = utc("2026-10-26T12:00Z")


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def pushed(received, *, breach_after=timedelta(minutes=20), route="crisis_response", **columns):
    """A pushed call; ``breach_after`` None: the sender gave no breach time."""
    received = utc(received)
    breach_at = received + breach_after if breach_after is not None else None
    return referral(received, kind="pushed_call", source="emas", route=route, breach_at=breach_at, **columns)


def after(call, minutes, seconds=0):
    return call.received_at + timedelta(minutes=minutes, seconds=seconds)


def returned(call, at, code, automatic=False):
    return event(call, push.RETURN_EVENT, at, to_state="returned",
                 detail={"reason_code": code, "reason": "Returned in a report test", "automatic": automatic})


def row_of(table, day: date) -> dict:
    keys = [c.key for c in table.columns]
    return dict(zip(keys, next(r for r in table.rows if r[0] == day), strict=True))


def _world():
    """Monday 20 October: seven calls, each a different ending; a call each on the
    week's first and last UK days; what must not count."""
    taken_completed = pushed("2026-10-20T09:00Z")
    event(taken_completed, "accept", after(taken_completed, 10))
    event(taken_completed, "complete", after(taken_completed, 90))
    needs_ambulance = pushed("2026-10-20T10:00Z")
    event(needs_ambulance, "first_contact", after(needs_ambulance, 20))   # exactly at the breach time: taken
    event(needs_ambulance, "accept", after(needs_ambulance, 25))
    event(needs_ambulance, push.AMBULANCE_EVENT, after(needs_ambulance, 40))
    at_breach = pushed("2026-10-20T11:00Z", breach_after=None)            # no breach time: 20 minutes
    returned(at_breach, after(at_breach, 20), "RRNA", automatic=True)
    event(at_breach, "first_contact", after(at_breach, 20, 1))            # a second late: not taken
    failed_contact = pushed("2026-10-20T12:00Z")
    returned(failed_contact, after(failed_contact, 15), "FC")
    at_once = pushed("2026-10-20T13:00Z", route="emergency_redirect")
    returned(at_once, after(at_once, 0), "OTH")
    redirected = pushed("2026-10-20T14:00Z", route="home_rehab")
    event(redirected, "accept", after(redirected, 5))
    returned_from_rehab = pushed("2026-10-20T15:00Z", route="home_rehab")
    returned(returned_from_rehab, after(returned_from_rehab, 19), "RRNA")

    first_day = pushed("2026-10-18T23:30Z")                               # Monday 00:30 BST
    event(first_day, "accept", after(first_day, 1))
    event(first_day, "complete", after(first_day, 60))
    pushed("2026-10-25T23:30Z", breach_after=timedelta(hours=1))          # Sunday 23:30 GMT: just received

    pushed("2026-10-18T22:30Z")                                           # Sunday 23:30 BST: the week before
    pushed("2026-10-26T00:00Z")                                           # the week after
    community = referral("2026-10-20T09:00Z", source="emas")              # a referral, not a pushed call
    event(community, "accept", after(community, 1))
    event(community, "complete", after(community, 60))
    commit()


def test_each_ending_is_counted_on_the_day_the_call_came(db, frozen):
    _world()
    section = push.section(WEEK, Filters())
    (table,) = section.tables
    assert table.id == "push" and [r[0] for r in table.rows] == WEEK.days

    assert row_of(table, date(2026, 10, 20)) == {
        "day": date(2026, 10, 20), "received": 7, "taken": 3,
        "returned_rrna": 1, "returned_fc": 1, "returned_oth": 1, "returned_at_breach": 1,
        "completed_without_ambulance": 1, "completed_needing_ambulance": 1,
        "accepted_by_ucr": 2, "redirected": 1,
        "avoided_conveyance_share": 14.3, "accepted_by_ucr_share": 28.6, "redirected_share": 14.3}
    assert row_of(table, date(2026, 10, 19))["completed_without_ambulance"] == 1
    assert row_of(table, date(2026, 10, 25))["received"] == 1
    assert row_of(table, date(2026, 10, 25))["taken"] == 0
    tuesday = row_of(table, date(2026, 10, 21))
    assert tuesday["received"] == 0 and tuesday["avoided_conveyance_share"] is None  # never 0% of nothing

    assert [(h.id, h.value, h.detail) for h in section.headlines] == [
        ("push_avoided_conveyance", 22.2, "2 of 9 pushed calls"),
        ("push_accepted_by_ucr", 33.3, "3 of 9 pushed calls"),
        ("push_redirected", 11.1, "1 of 9 pushed calls")]


def test_the_filters_narrow_it_and_the_csv_is_the_same_table(db, frozen):
    _world()
    rehab = push.section(WEEK, Filters(route="home_rehab")).tables[0]
    monday = row_of(rehab, date(2026, 10, 20))
    assert (monday["received"], monday["taken"], monday["returned_rrna"], monday["redirected"]) == (2, 1, 1, 1)
    assert sum(r[1] for r in push.section(WEEK, Filters(source="gp")).tables[0].rows) == 0

    assert sections.table("push", WEEK, Filters()) == push.section(WEEK, Filters()).tables[0]


def test_no_pushed_calls_is_no_figure(db, frozen):
    section = push.section(WEEK, Filters())
    assert all(h.value is None and h.detail == "no pushed calls" for h in section.headlines)
    assert all(r[1:11] == (0,) * 10 for r in section.tables[0].rows)
