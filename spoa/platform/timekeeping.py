"""Time for SPOA: the one source of "now", and the calendar the app counts in.

The calendar itself (UK time, working hours, bank holidays, deadlines, ages,
weekday names) is pure and lives in rules/calendar.py, so the rules share it
without Flask; it is re-exported here so the app imports time from one place.
What this module adds is the only clock the app reads, and "today" from it.
"""
from __future__ import annotations

from datetime import date, datetime

from rules import calendar
from rules.calendar import (  # noqa: F401 - re-exported: the app's calendar
    COUNTS,
    DEFAULT_WORKING_HOURS,
    TWENTY_FOUR_SEVEN,
    UK,
    UTC,
    WEEKDAY_NAMES,
    WEEKDAYS,
    WORKING_HOURS,
    WorkingHours,
    add_duration,
    by_end_of_day,
    days_in_words,
    elapsed,
    end_of_uk_day,
    format_uk,
    parse_weekdays,
    point_in_window,
    receipt,
    to_uk,
    uk_date,
)


def now() -> datetime:
    """The current instant, aware UTC: the only clock the app reads.

    Everything that stamps, starts or chases a clock calls this rather than
    ``datetime.now()``/``utcnow()``, so a test can move time with time-machine
    (``frozen_now``) and every deadline and audit row agrees on one zone.
    """
    return datetime.now(UTC)


def age_in_years(born: date, on: date | None = None) -> int:
    """Whole years of age on ``on``, today in the UK by default (rules.calendar.age_in_years)."""
    return calendar.age_in_years(born, on or uk_date(now()))
