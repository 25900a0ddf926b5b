"""The aggregate download: how many of the period's referrals (narrowed by route
and source as the report is) fall under each value of each measure, every count
through the small-number rule (spoa/reports/disclosure.py: 1 to 7 shown as "*",
the rest rounded to the nearest 5). Counts of one measure at a time, never
cross-tabulated, so no cell is one kind of patient in one place on one day.

This, not rows, is what managers, supervisors and admins download: the
commissioner's questions (demand, who is referred, how quickly they are seen)
are answered from it. The analyst's row-level extract is apart (extract.py).
"""
from collections import Counter
from collections.abc import Iterator

from spoa.domain.period import Filters, Period
from spoa.reports import downloads
from spoa.reports.disclosure import suppressed
from spoa.reports.extract import records

COLUMNS = ("measure", "value", "referrals")
# The measures, in the file's order: each a Record attribute.
MEASURES = ("kind", "source", "presenting_need", "route", "urgency", "state", "emas_category", "pathway",
            "hospital_ods", "sex", "age_band", "postcode_district", "first_contact_clock")
TOTAL = "all referrals"


def counted(period: Period, filters: Filters) -> tuple[int, dict[str, Counter]]:
    """(how many referrals, {measure: Counter of its values}), before suppression."""
    counts = {measure: Counter() for measure in MEASURES}
    total = 0
    for record in records(period, filters):
        total += 1
        for measure, counter in counts.items():
            counter[getattr(record, measure)] += 1
    return total, counts


def rows(total: int, counts: dict[str, Counter]) -> Iterator[tuple]:
    yield TOTAL, "", suppressed(total)
    for measure in MEASURES:
        for value, count in sorted(counts[measure].items(), key=lambda item: ("" if item[0] is None else str(item[0]))):
            yield measure, "not recorded" if value is None else value, suppressed(count)


def csv_lines(total: int, counts: dict[str, Counter]) -> Iterator[str]:
    return downloads.lines(COLUMNS, rows(total, counts))
