"""The calendar SLA clocks count in: UK time, working hours, bank holidays,
deadlines, ages and weekday names.

Every SLA clock in routing-policy.md ("Clocks") counts either ``"24/7"`` (real
elapsed time: a 2-hour crisis clock is two real hours even across a DST change)
or ``"working_hours"`` (only Mon-Fri 09:00-17:00 UK wall time, no English bank
holidays, for the voluntary sector's 4 and 16 working-hour targets).

Pure functions on aware datetimes: stdlib, ``holidays`` and ``zoneinfo`` only,
so the rules, the app, workers and tests share one calendar with no Flask. It
never reads the time itself: ``spoa.platform.timekeeping.now()`` is the app's one clock.
Results are always aware UTC; a naive datetime is refused, because guessing its
zone is how a deadline ends up an hour out twice a year.

Weekdays are ISO numbers everywhere, 1 = Monday to 7 = Sunday
(``date.isoweekday()``), as Service.duty_days stores them.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

UK = ZoneInfo("Europe/London")

TWENTY_FOUR_SEVEN = "24/7"
WORKING_HOURS = "working_hours"
COUNTS = (TWENTY_FOUR_SEVEN, WORKING_HOURS)

# ISO weekday n (1 = Monday) is WEEKDAYS[n - 1] and WEEKDAY_NAMES[n - 1].
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ISO_WEEKDAYS = frozenset(range(1, 8))

_ZERO = timedelta(0)
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _aware(dt: datetime, name: str = "dt") -> datetime:
    """``dt`` in UTC; a naive or non-datetime value is a bug upstream, not a guess to make."""
    if not isinstance(dt, datetime):
        raise ValueError(f"{name} must be a datetime, not {type(dt).__name__}")
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        raise ValueError(f"{name} is naive ({dt.isoformat()}): SPOA works in timezone-aware datetimes, "
                         "since a guessed zone can put a time a day out")
    return dt.astimezone(UTC)


def to_uk(dt: datetime, name: str = "dt") -> datetime:
    """``dt`` in UK wall time (GMT or BST), for display and for "which day is it"."""
    return _aware(dt, name).astimezone(UK)


def uk_date(dt: datetime, name: str = "dt") -> date:
    """The UK calendar date of ``dt``: 23:30 UTC in summer is already tomorrow in the UK.
    ``name`` is what a refusal calls ``dt`` (a naive time could move an age a day)."""
    return to_uk(dt, name).date()


def receipt(sender_time: datetime | None, at: datetime, max_age: timedelta | None = None) -> datetime:
    """When a referral reached SPOA (routing-policy.md): the sender's received_at
    when given and not in the future, else the server's time ``at``.

    Never earlier than ``max_age`` before ``at``: intake refuses an older
    received_at (422), and should any path not, its clocks still start inside
    the window rather than at an absurd instant (1970, or year 1) whose deadlines
    and escalations are years behind."""
    if sender_time is None or sender_time > at:
        return at
    if max_age is not None and at - sender_time > max_age:
        return at - max_age
    return sender_time


def age_in_years(born: date, on: date) -> int:
    """Whole years of age on the date ``on``; a birthday on that day counts, and
    a 29 February birthday counts from 1 March in other years, as UK law has it."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def format_uk(dt: datetime) -> str:
    """``dt`` for people, e.g. "Mon 23 Nov 2026 14:05 GMT" (BST in summer).

    Names are spelled out here rather than with ``%a``/``%b`` so the server's
    locale cannot change what a clinician reads.
    """
    local = to_uk(dt)
    return (
        f"{WEEKDAY_NAMES[local.isoweekday() - 1][:3]} {local.day} {_MONTH_NAMES[local.month - 1]} "
        f"{local.year} {local:%H:%M} {local.tzname()}"
    )


def parse_weekdays(days: Iterable[int | str]) -> frozenset[int]:
    """ISO weekdays (1 = Monday .. 7 = Sunday) from names or numbers: "mon",
    "Monday", "tues", 1, "1". A collection that is empty gives an empty set (the
    caller says whether none is allowed); anything not a day is a ValueError
    naming it."""
    if isinstance(days, (str, bytes)) or not isinstance(days, Iterable):
        raise ValueError(f"weekdays should be a list of days, e.g. [mon, tue], not {days!r}")
    found = set()
    for day in days:
        text = str(day).strip().lower()
        if text in ("1", "2", "3", "4", "5", "6", "7"):  # not isdigit(): "²" passes it, int() fails
            found.add(int(text))
        elif text[:3] in WEEKDAYS and WEEKDAY_NAMES[WEEKDAYS.index(text[:3])].lower().startswith(text):
            found.add(WEEKDAYS.index(text[:3]) + 1)
        else:
            raise ValueError(f"{day!r} is not a day of the week ({', '.join(WEEKDAYS)}, or 1 = Monday to 7 = Sunday)")
    return frozenset(found)


def days_in_words(days: Iterable[int] | None) -> str:
    """ISO weekdays for people: [1, 2, 3, 4, 5] -> Mon, Tue, Wed, Thu, Fri (all seven: Every day)."""
    days = sorted(days or [])
    if set(days) == ISO_WEEKDAYS:
        return "Every day"
    return ", ".join(WEEKDAY_NAMES[d - 1][:3] for d in days) or "None"


@lru_cache(maxsize=256)
def _bank_holidays(country: str, subdiv: str | None, year: int) -> frozenset[date]:
    """The public holidays of one year, cached: a deadline walk asks about each day."""
    return frozenset(holidays.country_holidays(country, subdiv=subdiv, years=year).keys())


def _parse_time(value: time | str, name: str) -> time:
    if isinstance(value, time):
        if value.tzinfo is not None:
            raise ValueError(f"{name} is a wall-clock time and must not carry a tzinfo")
        return value
    if isinstance(value, str):
        try:
            return time.fromisoformat(value)
        except ValueError:
            raise ValueError(f"bad {name} time {value!r} (write e.g. \"09:00\")") from None
    raise ValueError(f"{name} should be a time or \"HH:MM\", not {type(value).__name__}")


@dataclass(frozen=True)
class WorkingHours:
    """When a working-hours clock runs: the policy's default is Mon-Fri 09:00-17:00
    UK time, not on bank holidays in England.

    Built from clocks.yaml's values as they are: ``weekdays`` as ISO numbers
    (1 = Monday) or names ("mon"), ``start``/``end`` as ``time`` or "HH:MM".
    ``holiday_country=None`` means bank holidays are ordinary working days.
    Validated once, here; frozen and hashable, so it can key a cache.
    """

    timezone: str = "Europe/London"
    weekdays: frozenset[int] = field(default=frozenset(range(1, 6)))
    start: time = time(9, 0)
    end: time = time(17, 0)
    holiday_country: str | None = "GB"
    holiday_subdiv: str | None = "ENG"

    def __post_init__(self):
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise ValueError(f"unknown timezone {self.timezone!r}") from None
        weekdays = parse_weekdays(self.weekdays)
        if not weekdays:
            raise ValueError("weekdays is empty: a working-hours clock would never run")
        object.__setattr__(self, "weekdays", weekdays)
        start, end = _parse_time(self.start, "start"), _parse_time(self.end, "end")
        if not start < end:
            raise ValueError(f"start should be before end ({start:%H:%M} .. {end:%H:%M})")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)
        if self.holiday_country is not None:
            try:
                # Checked here, so a typo (subdiv: ENGL) stops the app starting
                # rather than the first working-hours deadline.
                _bank_holidays(self.holiday_country, self.holiday_subdiv, 2026)
            except NotImplementedError as exc:  # how holidays reports an unknown country/subdiv
                raise ValueError(f"bank_holidays: {exc}") from None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)  # ZoneInfo caches instances per key

    def is_bank_holiday(self, day: date) -> bool:
        if self.holiday_country is None:
            return False
        return day in _bank_holidays(self.holiday_country, self.holiday_subdiv, day.year)

    def is_working_day(self, day: date) -> bool:
        return day.isoweekday() in self.weekdays and not self.is_bank_holiday(day)

    def period(self, day: date) -> tuple[datetime, datetime] | None:
        """The working period of local date ``day`` as UTC instants, or None on a day off.

        Built from local wall times and converted, so opening is 09:00 UK in
        both GMT and BST; its length is real time, should a zone ever change
        its offset inside working hours.
        """
        if not self.is_working_day(day):
            return None
        tz = self.tz
        opens = datetime.combine(day, self.start, tzinfo=tz).astimezone(UTC)
        closes = datetime.combine(day, self.end, tzinfo=tz).astimezone(UTC)
        return opens, max(opens, closes)


DEFAULT_WORKING_HOURS = WorkingHours()


def _check_counts(counts: str, hours: WorkingHours | None) -> WorkingHours | None:
    if counts not in COUNTS:
        raise ValueError(f"counts must be one of {COUNTS}, not {counts!r}")
    if counts == TWENTY_FOUR_SEVEN:
        return None
    if hours is None:
        return DEFAULT_WORKING_HOURS
    if not isinstance(hours, WorkingHours):
        raise ValueError(f"hours must be a WorkingHours, not {type(hours).__name__}")
    return hours


def add_duration(
    start: datetime, duration: timedelta, counts: str, hours: WorkingHours | None = None
) -> datetime:
    """The deadline ``duration`` after ``start``, in UTC.

    ``"24/7"``: plain UTC arithmetic, so 2 hours is 2 real hours across a DST
    change. ``"working_hours"``: only time inside ``hours`` counts (default:
    the policy's Mon-Fri 09:00-17:00 England); a start out of hours counts from
    the next opening, and a deadline that uses up a day lands on its closing
    time (4 h from 13:00 is 17:00 that day, not 09:00 the next). Walks a day at
    a time, so 42 days costs ~60 steps. A zero duration is ``start`` itself.
    """
    start = _aware(start, "start")
    if not isinstance(duration, timedelta):
        raise ValueError(f"duration must be a timedelta, not {type(duration).__name__}")
    if duration < _ZERO:
        raise ValueError(f"duration must not be negative ({duration})")
    hours = _check_counts(counts, hours)
    if hours is None or duration == _ZERO:
        return start + duration
    remaining = duration
    day = start.astimezone(hours.tz).date()
    while True:
        period = hours.period(day)
        if period is not None:
            opens, closes = period
            counting_from = max(opens, start)
            if counting_from < closes:
                available = closes - counting_from
                if remaining <= available:
                    return counting_from + remaining
                remaining -= available
        day += timedelta(days=1)


def elapsed(
    start: datetime, end: datetime, counts: str, hours: WorkingHours | None = None
) -> timedelta:
    """The time a clock counts between two instants: the inverse of ``add_duration``.

    ``elapsed(s, add_duration(s, d, ...), ...) == d``. Signed: if ``end`` is
    before ``start`` the result is negative, so "how far past the deadline" and
    "how long to go" are the same call.
    """
    start, end = _aware(start, "start"), _aware(end, "end")
    hours = _check_counts(counts, hours)
    if end < start:
        return -elapsed(end, start, counts, hours)
    if hours is None:
        return end - start
    total = _ZERO
    tz = hours.tz
    day, last = start.astimezone(tz).date(), end.astimezone(tz).date()
    while day <= last:
        period = hours.period(day)
        if period is not None:
            lo, hi = max(period[0], start), min(period[1], end)
            if lo < hi:
                total += hi - lo
        day += timedelta(days=1)
    return total


def point_in_window(
    start: datetime,
    deadline: datetime,
    fraction: float,
    counts: str,
    hours: WorkingHours | None = None,
) -> datetime:
    """The instant ``fraction`` of the window [start, deadline] has gone, in UTC.

    For the policy's warnings at 0.75 and 0.90 (breach is 1.0, the deadline
    itself). Working-hours clocks count only working time, so 75% of 4 working
    hours from Friday 16:00 is Monday 11:00, not some time on Saturday.
    ``fraction`` is a proportion: 75 (a percentage) is refused, not a deadline
    weeks away.
    """
    start, deadline = _aware(start, "start"), _aware(deadline, "deadline")
    if deadline < start:
        raise ValueError(f"deadline {deadline.isoformat()} is before start {start.isoformat()}")
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 <= fraction <= 1:
        raise ValueError(f"fraction must be a number from 0 to 1, not {fraction!r}")
    if fraction == 1:
        return deadline
    if counts == TWENTY_FOUR_SEVEN:  # the common case, worked out directly (the live queue asks 2,000 times a render)
        return (start + (deadline - start) * fraction).astimezone(UTC)
    window = elapsed(start, deadline, counts, hours)
    return add_duration(start, window * fraction, counts, hours)


# The last instant of a UK day, as the discharge clock's deadline: 23:59:59.999
# (milliseconds, which both databases keep exactly).
_LAST_MOMENT = timedelta(milliseconds=1)


def end_of_uk_day(day: date) -> datetime:
    """The last instant of UK calendar day ``day`` (23:59:59.999 UK wall time), in UTC.

    Worked out as the next UK midnight less a millisecond, so it is right on the
    days the clocks change: 23:59:59.999 on the last Sunday of October is GMT
    (22:59:59.999 UTC the day before it was BST), and that day is 25 hours long.
    """
    if not isinstance(day, date) or isinstance(day, datetime):
        raise ValueError(f"day must be a date, not {type(day).__name__}")
    midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=UK)
    return midnight.astimezone(UTC) - _LAST_MOMENT


def by_end_of_day(day: date, start: datetime, late: timedelta) -> datetime:
    """A deadline anchored to a UK day (the discharge ready date): the end of ``day``
    when ``start`` falls on it or before it in the UK, else ``late`` after ``start``
    (a referral received the day after its DRD still has a day to be discharged,
    not a deadline already gone). A start at 23:30 on the day itself has half an hour."""
    start = _aware(start, "start")
    if not isinstance(late, timedelta) or late <= _ZERO:
        raise ValueError(f"late must be a positive timedelta, not {late!r}")
    if uk_date(start, "start") <= day:
        return end_of_uk_day(day)
    return start + late

