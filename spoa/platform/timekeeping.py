"""Time for SPOA: the one source of "now", and the calendar the app counts in.

The calendar itself (UK time, working hours, bank holidays, deadlines, ages,
weekday names) is pure and lives in rules/calendar.py, so the rules share it
without Flask; it is re-exported here so the app imports time from one place.
What this module adds is the only clock the app reads, "today" from it, and UK
wall time as people type and read it.

The one parser of a typed UK date and time (the rota's form and CLI, the handover
page's window, the time a patient left hospital) and the rota's short words for a
span. A local time the clocks skip (spring forward) or pass twice (autumn) is
refused, saying so: a guess could put a shift, a handover or a discharge's clocks
an hour out.
"""
from __future__ import annotations

import re
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


# ASCII digits only ([0-9], never \d: other scripts' digits are not a time anyone typed).
_ISO = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2})(?::[0-9]{2})?")
_TYPED = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4}),? ([0-9]{1,2}):([0-9]{2})")


def parse_uk(text: str, what: str = "time") -> datetime:
    """'01/12/2026 20:00', '2026-12-01T20:00' or '2026-12-01 20:00' (a person, a
    datetime-local box, a link or the CLI), UK wall time -> the aware UTC instant.
    ValueError, in words for the person, naming ``what`` ("start", "end")."""
    value = (text or "").strip()
    iso, typed = _ISO.fullmatch(value), _TYPED.fullmatch(value)
    try:
        if iso:
            year, month, day, hour, minute = (int(g) for g in iso.groups())
        elif typed:
            day, month, year, hour, minute = (int(g) for g in typed.groups())
        else:
            raise ValueError(value)
        local = datetime(year, month, day, hour, minute)
    except ValueError:
        raise ValueError(f"Enter the {what} as day/month/year and a time, for example 01/12/2026 20:00 "
                         f"(or 2026-12-01T20:00)") from None
    early, late = local.replace(tzinfo=UK, fold=0), local.replace(tzinfo=UK, fold=1)
    instant = early.astimezone(UTC)
    # Inside the gap fold=0 and fold=1 differ too: the gap is asked first.
    if instant.astimezone(UK).replace(tzinfo=None) != local:
        raise ValueError(f"{local:%H:%M} on {local.day} {local:%b %Y} does not exist in the UK "
                         "(the clocks go forward): choose a time outside the hour that is skipped")
    if early.utcoffset() != late.utcoffset():
        raise ValueError(f"{local:%H:%M} on {local.day} {local:%b %Y} happens twice in the UK "
                         "(the clocks go back): choose a time outside the hour that repeats")
    return instant


def uk_midnight(day: date) -> datetime:
    """The instant a UK day begins (00:00 never falls in a clock change in the UK)."""
    return datetime(day.year, day.month, day.day, tzinfo=UK).astimezone(UTC)


def day_words(local: datetime) -> str:
    """'Tue 1 Dec' (English names: the app sets no locale)."""
    return f"{local:%a} {local.day} {local:%b}"


def span_words(starts_at: datetime, ends_at: datetime) -> str:
    """'Tue 1 Dec 08:00 – 20:00' (the end's day too when it is another day)."""
    start, end = to_uk(starts_at), to_uk(ends_at)
    tail = f"{end:%H:%M}" if end.date() == start.date() else f"{day_words(end)} {end:%H:%M}"
    return f"{day_words(start)} {start:%H:%M} – {tail}"
