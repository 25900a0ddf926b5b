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
from datetime import date, datetime

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
    """Pass one: how many rows share each combination. A combination is held as
    one integer (a year's half a million rows, nearly all alone at the finest
    rung, would otherwise keep a tuple of strings each), and each rung's counts
    are summed from the finest rung's, never by reading the rows again: every
    group on any rung is a union of finest groups."""

    # Hours, then the codes of age band, sex, place and source (one numbering for all), after the day's ordinal.
    _WIDTHS = (5, 16, 16, 16, 16)

    def __init__(self):
        self.finest = Counter()
        self.rows = 0
        self._values: list = [None]  # code -> value (a band, a sex, a district, ("area", NN), a source)
        self._codes: dict = {None: 0}
        self._month_starts: dict = {}  # a day's ordinal -> its month's first day's

    def _code(self, value) -> int:
        code = self._codes.get(value)
        if code is None:
            if len(self._values) > 0xFFFF:  # never a code wider than its field: combinations would merge
                raise ValueError("too many distinct values to count the extract's combinations")
            code = self._codes[value] = len(self._values)
            self._values.append(value)
        return code

    def _coarser(self, rung: Rung, number: int) -> int:
        """A finest-rung combination's number on ``rung``: worked on the codes, not the values
        (a year's half a million combinations go through here once for each rung)."""
        source, number = number & 0xFFFF, number >> 16
        place, number = number & 0xFFFF, number >> 16
        sex, number = number & 0xFFFF, number >> 16
        ages, number = number & 0xFFFF, number >> 16
        hours, ordinal = number & 0x1F, number >> 5
        if rung.received == "week":
            ordinal -= (ordinal - 1) % 7  # back to the Monday (ordinal 1, 1 January of year 1, was one)
        elif rung.received == "month":
            ordinal = self._month_starts.get(ordinal) or self._month_starts.setdefault(
                ordinal, date.fromordinal(ordinal).replace(day=1).toordinal())
        if rung.hours != "hour":
            hours = hours - hours % 4 if rung.hours == "block" else 24
        if rung.ages == "broad":
            ages = self._broad(ages)
        if rung.place != "district":
            place = self._area_code(place) if rung.place == "area" else 0
        return (((((ordinal << 5 | hours) << 16 | ages) << 16 | sex) << 16 | place) << 16) | source

    def _broad(self, code: int) -> int:
        value = self._values[code]
        return self._code(BROAD_AGES.get(value, value))

    def _area_code(self, code: int) -> int:
        return self._code(("area", _area(self._values[code])))

    def _number(self, day: date, *codes: int) -> int:
        number = day.toordinal()
        for code, width in zip(codes, self._WIDTHS, strict=True):
            number = (number << width) | code
        return number

    def key(self, rung: Rung, q: Identifying) -> int:
        """A row's combination on ``rung`` (pass two asks this of every row)."""
        finest = self._number(q.received.date(), q.received.hour, self._code(q.age_band), self._code(q.sex),
                              self._code(q.district), self._code(q.source))
        return finest if rung == LADDER[0] else self._coarser(rung, finest)

    def add(self, q: Identifying) -> None:
        self.rows += 1
        self.finest[self.key(LADDER[0], q)] += 1

    def counts(self, rung: Rung) -> Counter:
        """How many rows share each combination (by key) on ``rung``."""
        if rung == LADDER[0]:
            return self.finest
        counts = Counter()
        for number, n in self.finest.items():
            counts[self._coarser(rung, number)] += n
        return counts

    def choose(self, k: int) -> "Choice":
        """The first rung that leaves out at most SUPPRESS_AT_MOST of the rows (else the last)."""
        for index, rung in enumerate(LADDER):
            counts = self.counts(rung)
            small = sum(n for n in counts.values() if n < k)
            if small <= SUPPRESS_AT_MOST * self.rows or index == len(LADDER) - 1:
                return Choice(self, rung, counts, k, self.rows - small, small)
        raise AssertionError("unreachable: the last rung is always chosen")


@dataclass(frozen=True)
class Choice:
    groups: Groups
    rung: Rung
    counts: Counter
    k: int
    kept: int
    left_out: int

    def keeps(self, q: Identifying) -> bool:
        """Pass two: a row is given only in a group counted at least k in pass one
        (a row arriving between the passes, in a group pass one never saw, is not)."""
        return self.counts.get(self.groups.key(self.rung, q), 0) >= self.k
