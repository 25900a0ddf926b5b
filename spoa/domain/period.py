"""The period a report covers: whole UK days, first to last inclusive.

Every figure counts what happened from UK midnight at the start of ``first`` to UK
midnight at the end of ``last``; across a clock change a day is 23 or 25 hours long,
which is why the bounds are computed from UK dates, never by adding hours to UTC.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from spoa.models import Referral
from spoa.platform.timekeeping import now, uk_date, uk_midnight

DEFAULT_DAYS = 7
LONGEST_DAYS = 732  # two years: beyond that, a period is a mistake rather than a question


@dataclass(frozen=True)
class Period:
    first: date
    last: date  # inclusive

    @classmethod
    def last_days(cls, days: int = DEFAULT_DAYS, today: date | None = None) -> "Period":
        """The default: the last ``days`` UK days, today included."""
        today = today or uk_date(now())
        return cls(today - timedelta(days=days - 1), today)

    @property
    def start(self) -> datetime:
        return uk_midnight(self.first)

    @property
    def end(self) -> datetime:
        """Exclusive: UK midnight after the last day."""
        return uk_midnight(self.last + timedelta(days=1))

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    @property
    def weeks(self) -> list[date]:
        """The Monday of every ISO week the period touches."""
        monday = self.first - timedelta(days=self.first.weekday())
        return [monday + timedelta(weeks=n) for n in range((self.last - monday).days // 7 + 1)]

    def label(self) -> str:
        return f"{self.first:%-d %b %Y} to {self.last:%-d %b %Y}"


@dataclass(frozen=True)
class Filters:
    """Optional narrowing of a report: one route, one source (None: all)."""

    route: str | None = None
    source: str | None = None

    @property
    def any(self) -> bool:
        return bool(self.route or self.source)

    def on_referrals(self, route: bool = True, source: bool = True) -> list:
        """The WHERE conditions on ``referrals`` these filters ask for (a table a
        filter does not apply to passes False for it, and says so in its note)."""
        found = []
        if route and self.route:
            found.append(Referral.route == self.route)
        if source and self.source:
            found.append(Referral.source == self.source)
        return found
