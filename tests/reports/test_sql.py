"""The SQL pieces the reports are built from give the same answers on both databases,
across midnight UK time and both clock changes."""
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import bindparam, func, literal, select, union_all

from spoa.domain.period import Period
from spoa.extensions import db
from spoa.platform.column_types import UTCDateTime
from spoa.platform.sql import UKHours, days_between, percentile, seconds_between, uk_date, uk_hour, uk_hours


def utc(*parts):
    return datetime(*parts, tzinfo=UTC)


def one(expression, **binds):
    return db.session.execute(select(expression), binds).scalar_one()


def instant(name="at"):
    return bindparam(name, type_=UTCDateTime)


@pytest.mark.parametrize("at, day, hour", [
    (utc(2026, 3, 28, 23, 59), date(2026, 3, 28), 23),   # GMT: the last minute of Saturday
    (utc(2026, 3, 29, 0, 30), date(2026, 3, 29), 0),     # before 01:00 GMT the clocks go forward
    (utc(2026, 3, 29, 1, 30), date(2026, 3, 29), 2),     # after: BST, 02:30
    (utc(2026, 6, 30, 23, 30), date(2026, 7, 1), 0),     # BST: 00:30 on 1 July, UK time
    (utc(2026, 10, 25, 0, 30), date(2026, 10, 25), 1),   # BST 01:30, the first of two
    (utc(2026, 10, 25, 1, 30), date(2026, 10, 25), 1),   # GMT 01:30, the second
    (utc(2026, 10, 24, 23, 0), date(2026, 10, 25), 0),   # BST midnight: Sunday already
])
def test_uk_date_and_hour_of_an_instant(db, at, day, hour):
    assert one(uk_date(instant()), at=at) == day
    assert one(uk_hour(instant()), at=at) == hour


def test_uk_week_is_the_monday_of_the_uk_iso_week(db):
    # Sunday 23:30 UTC in summer is Monday 00:30 in the UK: next week already.
    week = UKHours.week_number(uk_hours(instant(), utc(2026, 6, 29), utc(2026, 7, 13)))
    assert UKHours.week(one(week, at=utc(2026, 7, 5, 23, 30))) == date(2026, 7, 6)
    assert UKHours.week(one(week, at=utc(2026, 7, 5, 22, 30))) == date(2026, 6, 29)


def test_seconds_and_days_between(db):
    assert one(seconds_between(instant("a"), instant("b")), a=utc(2026, 10, 25, 2, 0),
               b=utc(2026, 10, 24, 23, 0)) == pytest.approx(3 * 3600)
    assert one(days_between(bindparam("a", type_=db.Date), bindparam("b", type_=db.Date)),
               a=date(2026, 3, 30), b=date(2026, 3, 27)) == 3


def test_percentile_interpolates_as_percentile_cont(db):
    values = union_all(*[select(literal(v).label("v")) for v in (10, 20, 30, 40)]).subquery()
    median = db.session.execute(select(percentile(values.c.v, 0.5))).scalar_one()
    p90 = db.session.execute(select(percentile(values.c.v, 0.9))).scalar_one()
    assert median == pytest.approx(25)
    assert p90 == pytest.approx(37)
    empty = select(values.c.v).where(values.c.v > 100).subquery()
    assert db.session.execute(select(percentile(empty.c.v, 0.5))).scalar_one() is None
    assert db.session.execute(select(func.count()).select_from(empty)).scalar_one() == 0


def test_a_period_is_whole_uk_days_across_the_clock_change():
    period = Period(date(2026, 10, 25), date(2026, 10, 25))  # the 25-hour day
    assert period.start == utc(2026, 10, 24, 23, 0)
    assert period.end == utc(2026, 10, 26, 0, 0)
    spring = Period(date(2026, 3, 29), date(2026, 3, 29))  # the 23-hour day
    assert (spring.end - spring.start).total_seconds() == 23 * 3600
    assert Period.last_days(7, today=date(2026, 12, 1)).first == date(2026, 11, 25)
    assert Period(date(2026, 11, 30), date(2026, 12, 13)).weeks == [date(2026, 11, 30), date(2026, 12, 7)]


YEAR, CHANGE_WEEKEND = Period(date(2026, 3, 1), date(2027, 3, 31)), Period(date(2026, 10, 24), date(2026, 10, 26))
EDGES = (utc(2026, 3, 28, 23, 59), utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1, 30), utc(2026, 6, 30, 23, 30),
         utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30), utc(2026, 10, 24, 23, 0), utc(2026, 10, 26, 0, 0),
         utc(2027, 3, 28, 0, 59), utc(2027, 3, 28, 1, 0))


@pytest.mark.parametrize("period, at", [(period, at) for period in (YEAR, CHANGE_WEEKEND) for at in EDGES
                                        if period.start <= at < period.end])
def test_uk_hours_give_the_uk_day_hour_and_week(db, period, at):
    # Integer arithmetic on the period's offsets gives what the UK time zone does.
    hours = uk_hours(instant(), period.start, period.end)
    found = (UKHours.day(one(UKHours.day_number(hours), at=at)), one(UKHours.hour(hours), at=at),
             UKHours.week(one(UKHours.week_number(hours), at=at)))
    day = one(uk_date(instant()), at=at)
    assert found == (day, one(uk_hour(instant()), at=at), day - timedelta(days=day.weekday()))
