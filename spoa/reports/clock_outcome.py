"""How a clock ended, or stands, as of an instant: the one definition every report
(and the coordination centre's feed) counts by.

    met        met at or before its deadline (met exactly at the deadline is met)
    breached   met after its deadline, or its breach recorded, or its deadline
               passed unmet (whether or not a worker has recorded it yet: a
               report must not depend on chase lag), or stopped after its deadline
    cancelled  stopped before its deadline without being met (the referral closed,
               or its route changed and the clock is not on the new one)
    running    none of those yet

"Share met" is met / (met + breached): clocks still running or cancelled are
counted beside it, never in it.
"""
from datetime import datetime

from sqlalchemy import and_, case, literal

from spoa.models import Clock
from spoa.platform.column_types import UTCDateTime
from spoa.reports.table import percent

OUTCOMES = ("met", "breached", "running", "cancelled")


def outcome(as_of: datetime):
    """A CASE expression over ``clocks``: one of OUTCOMES."""
    as_of = literal(as_of, UTCDateTime)
    return case(
        (and_(Clock.met_at.isnot(None), Clock.met_at <= Clock.deadline), "met"),
        (Clock.met_at.isnot(None), "breached"),
        (Clock.breached_at.isnot(None), "breached"),
        (and_(Clock.cancelled_at.isnot(None), Clock.cancelled_at <= Clock.deadline), "cancelled"),
        (Clock.cancelled_at.isnot(None), "breached"),
        (Clock.deadline < as_of, "breached"),
        else_="running",
    )


def share_met(met: int, breached: int) -> float | None:
    """Percent met of those decided, None when none is decided yet (never a 0% of nothing)."""
    return percent(met, met + breached)
