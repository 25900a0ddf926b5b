"""A clock far behind (a long worker outage) records where it stands in one step:
the breach and the escalation level it has reached (at most
the final reminder's), one notification for that level, never a backlog; and a
pass costs the same however late it runs."""
import time
from datetime import UTC, date, datetime, timedelta

import pytest

from spoa.extensions import db as database
from spoa.models import Notification
from tests.support.fixtures.chasing import T0, effects, minutes

pytestmark = pytest.mark.both_databases

FORTY_DAYS = timedelta(days=40)


def test_a_clock_40_days_behind_records_its_current_level_once_with_one_notification(
        post_referral, reconcile_at, clock_of):
    body = post_referral(at=T0)
    deadline = T0 + timedelta(hours=2)
    late = T0 + FORTY_DAYS
    started = time.monotonic()
    reconcile_at(late)
    assert time.monotonic() - started < 5  # the old loop made 500 effects a pass, for weeks
    assert 1 + (late - deadline) // minutes(15) == 3833  # re-chase intervals since the breach
    level = 3 + 4  # but chasing stops at the final reminder: the chain's three links, then four more
    clock = clock_of(body["id"], "first_contact")
    assert effects(clock) == [("warning", 75), ("warning", 90), ("breach", 1), ("escalation", level)]
    assert clock.escalation_level == level and clock.status == "breached"
    escalation = clock.effects[-1]
    assert escalation.due_at == deadline + minutes(15) * (level - 1)
    sent = [(n.effect.kind, n.effect.level, n.recipient) for e in clock.effects for n in e.notifications]
    # Where it stands now, to the link it has reached (the on-call manager): once.
    assert sent == [("escalation", level, "on_call_manager")]
    assert clock.next_due_at is None


def test_a_second_pass_records_nothing_new_until_the_next_interval(post_referral, reconcile_at, clock_of):
    body = post_referral(at=T0)
    late = T0 + timedelta(hours=2, minutes=50)  # level 4 of 7 (50 minutes past the deadline)
    reconcile_at(late)
    first = clock_of(body["id"], "first_contact")
    level, next_due = first.escalation_level, first.next_due_at
    notifications = database.session.query(Notification).count()
    reconcile_at(late + timedelta(seconds=1))
    reconcile_at(next_due - timedelta(seconds=1))
    again = clock_of(body["id"], "first_contact")
    assert len(again.effects) == 4 and database.session.query(Notification).count() == notifications
    reconcile_at(next_due)
    after = clock_of(body["id"], "first_contact")
    assert effects(after)[-1] == ("escalation", level + 1) and len(after.effects) == 5
    assert database.session.query(Notification).count() == notifications + 1


def test_years_behind_costs_one_pass_like_any_other(post_referral, reconcile_at, clock_of):
    body = post_referral(at=T0)
    started = time.monotonic()
    reconcile_at(T0 + timedelta(days=5 * 365))
    assert time.monotonic() - started < 5
    assert len(clock_of(body["id"], "first_contact").effects) == 4


def test_a_working_hours_clock_behind_over_christmas_records_the_level_it_reached(
        db, post_referral, reconcile_at, clock_of):
    from tests.support.data.duty_data import add_org

    add_org(db, "good_neighbours", total=3, declared_for=date(2026, 12, 24))
    body = post_referral(at=datetime(2026, 12, 24, 15, 0, tzinfo=UTC), presenting_need="social_support")
    reconcile_at(datetime(2027, 1, 8, 12, 0, tzinfo=UTC))  # two weeks of outage
    clock = clock_of(body["id"], "acknowledge")
    kinds = effects(clock)
    assert kinds[:3] == [("warning", 75), ("warning", 90), ("breach", 1)] and len(kinds) == 4
    assert kinds[-1][0] == "escalation" and kinds[-1][1] == clock.escalation_level > 2
    escalations = [n for e in clock.effects if e.kind == "escalation" for n in e.notifications]
    assert len({(n.recipient, n.channel) for n in escalations}) == len(escalations) == 1
