"""SQL that both databases compute alike, so every report figure is an aggregate
in the database (never a Python loop over rows).

PostgreSQL converts to UK time itself (timezone('Europe/London', ...)) and has
percentile_cont. SQLite, the laptop default, has neither: spoa/platform/database.py
registers small Python functions on each SQLite connection that these compile
to, with the same meaning (and the tests run both).

    uk_date(col)    the UK calendar date of an instant
    uk_hour(col)    its UK hour of day, 0-23
    percentile(col, 0.9)     continuous percentile (as percentile_cont), an aggregate
    seconds_between(a, b)    a - b in seconds (two instants)
    days_between(a, b)       a - b in whole days (two dates)
    utc_hour(col)            the whole hours since 1970 UTC of an instant (an integer)

A year's GROUP BY of uk_date or uk_hour converts every row to UK time
(PostgreSQL's timezone() per row is most of such a query's cost). UK offsets are
whole hours and change twice a year, so for a period the UK wall-clock hour is
integer arithmetic: uk_hours(col, start, end) is utc_hour plus a CASE over the
period's offset changes (the same answer as uk_date/uk_hour, per row, no zone
lookup), and UKHours reads a day, hour of day or week off it in SQL:

    hours = uk_hours(Referral.received_at, period.start, period.end)
    select(UKHours.day_number(hours), ...)  ->  UKHours.day(n) a date

A percentile of whole numbers (days, say) can also be read off their counts:
GROUP BY the value in the database, then percentile_of_counts, the same
interpolation, so one query serves several groupings and their total.
"""
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from sqlalchemy import Date, Float, Integer, case, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from rules.calendar import UK
from spoa.platform.column_types import UTCDateTime

UK_ZONE = "Europe/London"


class uk_date(FunctionElement):  # noqa: N801 (an SQL function's name)
    type = Date()
    inherit_cache = True
    name = "uk_date"


class uk_hour(FunctionElement):  # noqa: N801
    type = Integer()
    inherit_cache = True
    name = "uk_hour"


class percentile(FunctionElement):  # noqa: N801
    type = Float()
    inherit_cache = True
    name = "percentile"


class seconds_between(FunctionElement):  # noqa: N801
    type = Float()
    inherit_cache = True
    name = "seconds_between"


class days_between(FunctionElement):  # noqa: N801
    type = Integer()
    inherit_cache = True
    name = "days_between"


def _args(element, compiler, **kw):
    return [compiler.process(arg, **kw) for arg in element.clauses]


@compiles(uk_date, "postgresql")
def _pg_uk_date(element, compiler, **kw):
    (col,) = _args(element, compiler, **kw)
    return f"CAST(timezone('{UK_ZONE}', {col}) AS DATE)"


@compiles(uk_hour, "postgresql")
def _pg_uk_hour(element, compiler, **kw):
    (col,) = _args(element, compiler, **kw)
    return f"CAST(EXTRACT(HOUR FROM timezone('{UK_ZONE}', {col})) AS INTEGER)"


@compiles(percentile, "postgresql")
def _pg_percentile(element, compiler, **kw):
    col, fraction = _args(element, compiler, **kw)
    return f"percentile_cont({fraction}) WITHIN GROUP (ORDER BY {col})"


@compiles(seconds_between, "postgresql")
def _pg_seconds(element, compiler, **kw):
    later, earlier = _args(element, compiler, **kw)
    return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"


@compiles(days_between, "postgresql")
def _pg_days(element, compiler, **kw):
    later, earlier = _args(element, compiler, **kw)
    return f"({later} - {earlier})"


class utc_hour(FunctionElement):  # noqa: N801
    type = Integer()
    inherit_cache = True
    name = "utc_hour"


@compiles(utc_hour, "postgresql")
def _pg_utc_hour(element, compiler, **kw):
    (col,) = _args(element, compiler, **kw)
    return f"CAST(floor(EXTRACT(EPOCH FROM {col}) / 3600) AS INTEGER)"


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_DAY = EPOCH.date()  # a Thursday


@lru_cache(maxsize=64)
def _offset_changes(start: datetime, end: datetime) -> tuple[tuple[datetime, int], ...]:
    """((instant, UK offset in whole hours before it), ...) for each change in [start, end),
    then (end, the offset after the last change)."""
    def offset(at):
        return int(at.astimezone(UK).utcoffset().total_seconds() // 3600)

    changes, at, before = [], start, offset(start)
    while at < end:
        at += timedelta(hours=1)
        now = offset(at)
        if now != before:
            changes.append((at, before))
            before = now
    return (*changes, (end, before))


def uk_hours(col, start: datetime, end: datetime):
    """The UK wall-clock hours since 1970 of an instant in [start, end) (an integer
    expression): utc_hour plus the offset in force, a CASE over the period's changes."""
    *changes, (_end, last) = _offset_changes(start, end)
    if not changes:
        return utc_hour(col) + last
    return utc_hour(col) + case(*((col < literal(at, UTCDateTime), before) for at, before in changes), else_=last)


class UKHours:
    """Integer SQL on uk_hours, and the values it gives back in Python."""

    @staticmethod
    def day_number(hours):
        return hours // 24

    @staticmethod
    def hour(hours):
        return hours % 24

    @staticmethod
    def week_number(hours):
        return (hours // 24 + 3) // 7  # weeks since the Monday before 1 January 1970

    @staticmethod
    def day(number: int) -> date:
        return EPOCH_DAY + timedelta(days=int(number))

    @staticmethod
    def week(number: int) -> date:
        """The Monday of the UK week a week_number names."""
        return EPOCH_DAY + timedelta(days=int(number) * 7 - 3)


# SQLite: the functions spoa/platform/database.py registers (sqlite_functions below).
@compiles(uk_date, "sqlite")
@compiles(uk_hour, "sqlite")
@compiles(percentile, "sqlite")
@compiles(seconds_between, "sqlite")
@compiles(days_between, "sqlite")
@compiles(utc_hour, "sqlite")
def _sqlite(element, compiler, **kw):
    return f"spoa_{element.name}({', '.join(_args(element, compiler, **kw))})"


# --- SQLite's side -----------------------------------------------------------
# SQLite hands these the stored text ("2026-03-29 00:30:00.000000", UTC) and
# dates as "2026-03-29"; each returns what PostgreSQL's expression would.

def _utc(text):
    value = datetime.fromisoformat(str(text))
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)


def _instant(text):
    """UK wall time (for dates and hours; never subtract these: Python subtracts
    two times in one zone as wall clocks, an hour out across a clock change)."""
    return None if text is None else _utc(text).astimezone(UK)


def _sqlite_uk_date(text):
    local = _instant(text)
    return None if local is None else local.date().isoformat()


def _sqlite_uk_hour(text):
    local = _instant(text)
    return None if local is None else local.hour


def _sqlite_utc_hour(text):
    return None if text is None else int((_utc(text) - EPOCH).total_seconds() // 3600)


def _sqlite_seconds_between(later, earlier):
    if later is None or earlier is None:
        return None
    return (_utc(later) - _utc(earlier)).total_seconds()


def _sqlite_days_between(later, earlier):
    if later is None or earlier is None:
        return None
    return (date.fromisoformat(str(later)[:10]) - date.fromisoformat(str(earlier)[:10])).days


class _SqlitePercentile:
    """percentile_cont: linear interpolation between the two nearest ranks."""

    def __init__(self):
        self.values, self.fraction = [], None

    def step(self, value, fraction):
        self.fraction = fraction
        if value is not None:
            self.values.append(value)

    def finalize(self):
        if not self.values:
            return None
        return percentile_of_counts(Counter(self.values), self.fraction)


def percentile_of_counts(counts: Mapping, fraction: float) -> float | None:
    """percentile_cont of the values ``counts`` holds ({value: how many}), None of none."""
    total = sum(counts.values())
    if not total:
        return None
    position = (total - 1) * float(fraction)
    low = int(position)
    below, low_value, high_value = 0, None, None
    for value in sorted(counts):
        below += counts[value]
        if low_value is None and below > low:
            low_value = value
        if below > min(low + 1, total - 1):
            high_value = value
            break
    return low_value + (high_value - low_value) * (position - low)


def sqlite_functions(dbapi_connection) -> None:
    """Register the functions on one SQLite connection (spoa/platform/database.py, on connect)."""
    for name, fn, arity in (("spoa_uk_date", _sqlite_uk_date, 1), ("spoa_uk_hour", _sqlite_uk_hour, 1),
                            ("spoa_utc_hour", _sqlite_utc_hour, 1),
                            ("spoa_seconds_between", _sqlite_seconds_between, 2),
                            ("spoa_days_between", _sqlite_days_between, 2)):
        dbapi_connection.create_function(name, arity, fn, deterministic=True)
    dbapi_connection.create_aggregate("spoa_percentile", 2, _SqlitePercentile)
