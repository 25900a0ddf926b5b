"""CSV cells and files (spoa/reports/downloads.py): values as a spreadsheet should
open them, text that would run as a formula opened as text, and rows written as
they come rather than gathered first."""
import csv
import io
from datetime import date
from decimal import Decimal

from markupsafe import Markup

from spoa.domain.period import Filters, Period
from spoa.reports import downloads


def test_cells_as_a_spreadsheet_opens_them():
    assert [downloads.cell(v) for v in (None, 3, -2, 1.5, Decimal("2.5"), True, date(2026, 3, 29), "gp", "")] == [
        "", 3, -2, 1.5, Decimal("2.5"), "yes", "2026-03-29", "gp", ""]


def test_text_a_spreadsheet_would_run_is_opened_as_text():
    for text in ("=1+1", "+44 1604", "-cmd", "@SUM(A1)", "\t=x", Markup("=HYPERLINK()")):
        assert downloads.cell(text) == "'" + str(text)


def test_rows_are_written_as_they_come_not_gathered_first():
    taken = []

    def rows():
        for n in range(10 * downloads.ROWS_PER_CHUNK):
            taken.append(n)
            yield (n, "x")

    chunks = downloads.lines(["n", "x"], rows())
    first = next(chunks)
    assert len(taken) == downloads.ROWS_PER_CHUNK  # one chunk's rows read, no more
    assert first.startswith("n,x\r\n0,x\r\n")
    rest = "".join(chunks)
    assert len(list(csv.reader(io.StringIO(first + rest)))) == 1 + 10 * downloads.ROWS_PER_CHUNK


def test_a_file_is_named_by_what_when_and_how_narrowed():
    period = Period(date(2026, 11, 18), date(2026, 11, 24))
    assert downloads.filename("demand_by_day", period, Filters()) == "spoa-demand_by_day-2026-11-18-to-2026-11-24.csv"
    assert downloads.filename("x", period, Filters(route="crisis_response", source="gp")) == (
        "spoa-x-2026-11-18-to-2026-11-24-route-crisis_response-source-gp.csv")
