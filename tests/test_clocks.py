"""spoa.platform.timekeeping: the app's one clock, and the calendar (rules.calendar) re-exported
where the app imports time from. The calendar itself is tests/rules/test_calendar.py."""
from datetime import UTC, date, datetime, timedelta

import time_machine

from rules import calendar
from spoa.platform import timekeeping as clocks
from spoa.platform.timekeeping import age_in_years, now

UTC = UTC


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_now_is_aware_utc():
    current = now()
    assert current.tzinfo is not None
    assert current.utcoffset() == timedelta(0)


def test_now_follows_time_machine():
    """The mechanism under the frozen_now fixture (tests/conftest.py): now() is time-machine's."""
    with time_machine.travel(utc(2027, 3, 28, 0, 59, 30), tick=False):
        assert now() == utc(2027, 3, 28, 0, 59, 30)
    with time_machine.travel(utc(2026, 12, 24, 15, 0), tick=False) as traveller:
        traveller.shift(timedelta(hours=2))
        assert now() == utc(2026, 12, 24, 17, 0)


def test_age_defaults_to_today_in_the_uk():
    # 23:30 UTC on 13 June is 00:30 BST on 14 June: the 18th birthday has come.
    with time_machine.travel(utc(2026, 6, 13, 23, 30), tick=False):
        assert age_in_years(date(2008, 6, 14)) == 18
        assert age_in_years(date(2008, 6, 14), date(2026, 6, 13)) == 17


def test_the_app_reads_the_one_calendar():
    for name in ("WorkingHours", "add_duration", "elapsed", "point_in_window", "uk_date", "to_uk",
                 "format_uk", "receipt", "parse_weekdays", "days_in_words", "WEEKDAY_NAMES", "UK"):
        assert getattr(clocks, name) is getattr(calendar, name), name
