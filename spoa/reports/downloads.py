"""CSV, as the commissioner's spreadsheet opens it: one writer of cells for every
table's download and for the extract, and the files' names.

A cell is the table's own value: a date as ISO (2026-11-24, which every
spreadsheet reads as a date), a number as written, nothing for None. Text that
a spreadsheet would take for a formula (=, +, -, @ first) is prefixed with an
apostrophe: a reason typed by staff must open as text, never run.
"""
import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date
from numbers import Number

from spoa.domain.period import Filters, Period
from spoa.reports.table import Table

_FORMULA_START = frozenset("=+-@\t\r")
ROWS_PER_CHUNK = 500  # rows written to the response at a time: small, and not a line each


def cell(value) -> str | int | float:
    kind = value.__class__  # (a year's extract is ten million cells: the common kinds first)
    if kind is str:
        return "'" + value if value[:1] in _FORMULA_START else value
    if kind is int or kind is float:
        return value
    if value is None:
        return ""
    if kind is bool:
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Number):  # a Decimal, a numpy figure: a number still
        return value
    return cell(str(value))  # a str of another kind (Markup) is checked as text


def lines(header: Iterable[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """The CSV text, in chunks of ROWS_PER_CHUNK rows, the header first: rows are
    read as they come (a generator from a streamed query stays one)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(list(header))
    count = 0
    for row in rows:
        writer.writerow([cell(v) for v in row])
        count += 1
        if count % ROWS_PER_CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def table_lines(table: Table) -> Iterator[str]:
    """A report table as CSV: its column labels, then its rows as the page shows them."""
    return lines([c.label for c in table.columns], table.rows)


def filename(name: str, period: Period, filters: Filters) -> str:
    """spoa-demand_by_day-2026-11-18-to-2026-11-24[-route-crisis_response].csv: what, when, narrowed how."""
    parts = [f"spoa-{name}", f"{period.first.isoformat()}-to-{period.last.isoformat()}"]
    if filters.route:
        parts.append(f"route-{filters.route}")
    if filters.source:
        parts.append(f"source-{filters.source}")
    return "-".join(parts) + ".csv"
