"""Disclosure control: what keeps a figure or a row from singling a patient out.

Counts (the aggregate download): NHS England's small-number rule, as HES
publishes with: 0 stays 0, 1 to 7 is shown as "*", anything else is rounded to
the nearest 5. Rounding every count also blunts differencing (subtracting one
published total from another to recover a small one).

Rows (the analyst's extract): k-anonymity over the quasi-identifiers, the
columns someone who knows a patient could know (when they were seen, roughly
at what time, their age, sex, where they live and that an ambulance came):
every combination of them in a file is shared by at least k rows. The file is
first coarsened as a whole, one rung at a time down LADDER (hour -> 4-hour
block -> no time; day -> ISO week -> month; five age bands -> three; postcode
district -> area -> none), stopping at the first rung where at most
SUPPRESS_AT_MOST of the rows would still sit in a smaller group; those rows are
then left out. A rung applies to every row (global recoding), so the columns
mean the same thing all the way down a file.
"""
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

SMALL = 7      # 1..SMALL shown as SUPPRESSED
ROUND_TO = 5
SUPPRESSED = "*"
# Coarsening stops at the first rung that leaves out at most this share of the rows.
SUPPRESS_AT_MOST = 0.05


def suppressed(count: int) -> int | str:
    if count == 0:
        return 0
    if count <= SMALL:
        return SUPPRESSED
    return ROUND_TO * ((count + ROUND_TO // 2) // ROUND_TO)  # integers: no half-way case exists


@dataclass(frozen=True)
class Rung:
    name: str
    received: str        # day | week | month
    hours: str | None    # hour | block | None (not given)
    ages: str            # bands | broad
    place: str | None    # district | area | None (not given)


LADDER = (
    Rung("day-hour", "day", "hour", "bands", "district"),
    Rung("day-4h", "day", "block", "bands", "district"),
    Rung("day", "day", None, "bands", "district"),
    Rung("week", "week", None, "bands", "district"),
    Rung("week-broad-ages", "week", None, "broad", "district"),
    Rung("week-area", "week", None, "broad", "area"),
    Rung("month-area", "month", None, "broad", "area"),
    Rung("month", "month", None, "broad", None),
)
# The five bands (spoa/reports/extract.py AGE_BANDS) merged where few people fall.
BROAD_AGES = {"0 to 17": "0 to 17", "18 to 64": "18 to 64", "65 to 74": "65 and over", "75 to 84": "65 and over",
              "85 and over": "65 and over"}


@dataclass(frozen=True)
class Identifying:
    """A row's quasi-identifiers as recorded: a UK wall time, the five-band age,
    sex, postcode district and source."""
    received: datetime
    age_band: str | None
    sex: str | None
    district: str | None
    source: str | None


def coarsened(rung: Rung, q: Identifying) -> tuple:
    """(received, received_hours, age_band, sex, postcode_district, source) on this rung."""
    day = q.received.date()
    if rung.received == "day":
        received = day.isoformat()
    elif rung.received == "week":
        year, week, _ = day.isocalendar()
        received = f"{year}-W{week:02d}"
    else:
        received = f"{day:%Y-%m}"
    hour = q.received.hour
    hours = {"hour": f"{hour:02d}", "block": f"{hour - hour % 4:02d}-{hour - hour % 4 + 3:02d}", None: None}[rung.hours]
    ages = q.age_band if rung.ages == "bands" or q.age_band is None else BROAD_AGES[q.age_band]
    place = {"district": q.district, "area": _area(q.district), None: None}[rung.place]
    return received, hours, ages, q.sex, place, q.source


def _area(district: str | None) -> str | None:
    """"NN12" -> "NN": the postcode area, the letters before the district's number."""
    if not district:
        return None
    return district[:2] if district[1:2].isalpha() else district[:1]


class Groups:
    """Pass one: how many rows share each combination, on every rung at once."""

    def __init__(self):
        self.counts = [Counter() for _ in LADDER]
        self.rows = 0

    def add(self, q: Identifying) -> None:
        self.rows += 1
        for counter, rung in zip(self.counts, LADDER):
            counter[coarsened(rung, q)] += 1

    def choose(self, k: int) -> "Choice":
        """The first rung that leaves out at most SUPPRESS_AT_MOST of the rows (else the last)."""
        for index, rung in enumerate(LADDER):
            small = sum(n for n in self.counts[index].values() if n < k)
            if small <= SUPPRESS_AT_MOST * self.rows or index == len(LADDER) - 1:
                return Choice(rung, self.counts[index], k, self.rows - small, small)
        raise AssertionError("unreachable: the last rung is always chosen")


@dataclass(frozen=True)
class Choice:
    rung: Rung
    counts: Counter
    k: int
    kept: int
    left_out: int

    def keeps(self, key: tuple) -> bool:
        """Pass two: a row is given only in a group counted at least k in pass one
        (a row arriving between the passes, in a group pass one never saw, is not)."""
        return self.counts.get(key, 0) >= self.k
