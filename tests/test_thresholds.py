"""spoa/notifications/thresholds.py: a clock's thresholds as arithmetic on its columns and
the policy (no app, no database)."""
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from rules.loader import load_policy
from rules.policy_model import Policy
from spoa.notifications.thresholds import Threshold, Thresholds
from spoa.platform.timekeeping import add_duration

POLICY = load_policy()
START = datetime(2026, 12, 21, 10, 7, tzinfo=UTC)  # a week with Christmas in it
TWO_HOURS = timedelta(hours=2)
FIFTEEN = timedelta(minutes=15)  # clocks.yaml's re-chase for a window of a day or less


def clock(window=TWO_HOURS, counts="24/7", acknowledged_at=None):
    deadline = add_duration(START, window, counts, POLICY.working_hours)
    return SimpleNamespace(started_at=START, deadline=deadline, counts=counts, acknowledged_at=acknowledged_at)


def kinds(thresholds):
    return [(t.kind, t.level) for t in thresholds]


def test_the_first_threshold_is_the_first_warning():
    assert Thresholds(clock(), POLICY).next(set()) == Threshold("warning", 75, START + timedelta(minutes=90))


def test_next_walks_warnings_then_the_breach_then_one_escalation_a_rechase_interval():
    c = clock()
    walk = Thresholds(c, POLICY)
    assert walk.next({("warning", 75)}) == Threshold("warning", 90, START + timedelta(minutes=108))
    assert walk.next({("warning", 75), ("warning", 90)}) == Threshold("breach", 1, c.deadline)
    seen = {("warning", 75), ("warning", 90), ("breach", 1)}
    assert walk.next(seen) == Threshold("escalation", 2, c.deadline + FIFTEEN)
    assert walk.next(seen | {("escalation", 4)}) == Threshold("escalation", 5, c.deadline + 4 * FIFTEEN)


def test_nothing_comes_after_the_final_reminder_or_once_a_person_has_it():
    last = POLICY.last_escalation_level
    seen = {("warning", 75), ("warning", 90), ("breach", 1)}
    assert Thresholds(clock(), POLICY).next(seen | {("escalation", last)}) is None
    assert Thresholds(clock(acknowledged_at=START), POLICY).next(seen) is None
    # Acknowledged before the breach: the breach still falls due.
    assert Thresholds(clock(acknowledged_at=START), POLICY).next(set()).kind == "warning"


def test_due_is_what_has_passed_and_not_been_recorded():
    c = clock()
    walk = Thresholds(c, POLICY)
    assert walk.due(set(), START + timedelta(minutes=89)) == []
    assert kinds(walk.due(set(), START + timedelta(minutes=110))) == [("warning", 75), ("warning", 90)]
    assert kinds(walk.due({("warning", 75)}, START + timedelta(minutes=110))) == [("warning", 90)]
    # 40 minutes late: the warnings, the breach and the level reached now (3), not level 2 on the way.
    late = walk.due(set(), c.deadline + timedelta(minutes=40))
    assert kinds(late) == [("warning", 75), ("warning", 90), ("breach", 1), ("escalation", 3)]
    assert late[-1].at == c.deadline + 2 * FIFTEEN
    recorded = set(kinds(late))
    assert walk.due(recorded, c.deadline + timedelta(minutes=44)) == []


def test_due_stops_at_the_breach_once_a_person_has_it():
    c = clock(acknowledged_at=START)
    assert kinds(Thresholds(c, POLICY).due(set(), c.deadline + timedelta(hours=1))) == [
        ("warning", 75), ("warning", 90), ("breach", 1)]


def test_one_walk_works_out_the_rechase_interval_once(monkeypatch):
    asked = []
    rechase_interval = Policy.rechase_interval
    monkeypatch.setattr(Policy, "rechase_interval", lambda self, *a: asked.append(a) or rechase_interval(self, *a))
    c = clock()
    walk = Thresholds(c, POLICY)
    passed = walk.due(set(), c.deadline + timedelta(days=3))
    walk.next(set(kinds(passed)))
    walk.level_reached(c.deadline + timedelta(hours=1))
    assert len(asked) == 1


def _stepped_level(c, at, rechase, hours):
    """The old way, one interval at a time: the oracle for the sum."""
    level = 1
    while add_duration(c.deadline, rechase * level, c.counts, hours) <= at:
        level += 1
    return level


@pytest.mark.parametrize("counts, window", [("24/7", timedelta(hours=2)), ("24/7", timedelta(hours=48)),
                                            ("working_hours", timedelta(hours=4)),
                                            ("working_hours", timedelta(hours=16))])
def test_the_current_level_is_what_stepping_interval_by_interval_would_reach(counts, window):
    hours = POLICY.working_hours
    c = clock(window, counts)
    walk = Thresholds(c, POLICY)
    assert walk.level_reached(c.deadline - timedelta(seconds=1)) == 0
    assert walk.level_reached(c.deadline) == 1
    for offset in [timedelta(minutes=1), FIFTEEN, timedelta(minutes=15 * 7 + 3), timedelta(hours=4),
                   timedelta(hours=31), timedelta(days=3, hours=5), timedelta(days=9, minutes=44),
                   timedelta(days=20)]:
        at = c.deadline + offset
        assert walk.level_reached(at) == _stepped_level(c, at, walk.rechase, hours), (counts, window, offset)
        assert walk.current_level(at) == min(walk.level_reached(at), 7)  # the final reminder's level
    # Exactly on a threshold: that level, not the one before.
    third = add_duration(c.deadline, walk.rechase * 2, counts, hours)
    assert walk.level_reached(third) == walk.current_level(third) == 3
