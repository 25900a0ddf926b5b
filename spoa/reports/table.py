"""What a report is made of. A section holds headline figures and tables; every
table is shown as an accessible HTML table, may be drawn as a chart, and is
downloadable as CSV, all from the same rows (one computation, three views)."""
from dataclasses import dataclass, field

KINDS = ("text", "count", "percent", "hours", "days", "date")


def percent(part, whole) -> float | None:
    """``part`` as a percent of ``whole``, 1 decimal place; None of a whole of none (never 0% of nothing)."""
    return None if not whole else round(100.0 * part / whole, 1)


def one_place(value) -> float | None:
    """A figure (hours, days, a percent the database gave) to 1 decimal place; None stays None."""
    return None if value is None else round(float(value), 1)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "count"  # text | count | percent (0-100, None when nothing to divide) | hours | days | date


@dataclass(frozen=True)
class Chart:
    """How a table is drawn: ``x`` a column key for the categories, ``series`` the
    column keys drawn against it (bars side by side, stacked, or lines)."""

    kind: str  # bar | stacked_bar | line
    x: str
    series: tuple[str, ...]
    title: str = ""


@dataclass(frozen=True)
class Table:
    id: str  # unique across the report: the CSV's name and the page's anchor
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple, ...]
    chart: Chart | None = None
    note: str = ""  # how the figures are counted, in a sentence

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    def values(self, key: str) -> list:
        index = [c.key for c in self.columns].index(key)
        return [row[index] for row in self.rows]


@dataclass(frozen=True)
class Headline:
    """A figure shown large, against its target where there is one (the 2-hour 70%)."""

    id: str
    label: str
    value: float | int | None
    kind: str = "percent"
    target: float | None = None
    target_label: str = ""
    detail: str = ""  # e.g. "212 of 298 met"

    @property
    def meets_target(self) -> bool | None:
        if self.value is None or self.target is None:
            return None
        return self.value >= self.target


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    tables: tuple[Table, ...]
    headlines: tuple[Headline, ...] = field(default=())
    note: str = ""
