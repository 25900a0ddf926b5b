"""What the page, the charts and the CSV rely on in the demand, performance and
flow sections: one row shape per table, plain values, chart keys that exist."""
from datetime import date

import time_machine

from spoa.domain.period import Filters, Period
from spoa.reports import demand, flow, performance
from tests.support.data.report_data import commit, decline, due_in, first_contact, override, referral, review, utc

PLAIN = (str, int, float, date, type(None))
WEEK = Period(date(2026, 10, 19), date(2026, 10, 25))


def test_every_table_is_plain_rows_its_chart_can_draw(db):
    r = referral("2026-10-20T09:00Z", source="emas")
    due_in(r, met_at="2026-10-20T10:00Z")
    first_contact(r, "2026-10-20T10:00Z")
    decline(r, "2026-10-20T09:30Z", "Reason typed by staff")
    override(r, "2026-10-20T09:40Z", "reablement")
    review(referral("2026-10-21T09:00Z"), "under-18")
    commit()

    with time_machine.travel(utc("2026-10-26T12:00Z"), tick=False):
        sections = [module.section(WEEK, Filters()) for module in (demand, performance, flow)]
    tables = [t for s in sections for t in s.tables]
    assert len({t.id for t in tables}) == len(tables)
    for t in tables:
        keys = [c.key for c in t.columns]
        assert len(set(keys)) == len(keys), t.id
        assert t.note and t.rows, t.id
        for row in t.rows:
            assert len(row) == len(keys) and all(isinstance(v, PLAIN) for v in row), (t.id, row)
        for column in t.columns:
            if column.kind == "percent":
                assert all(v is None or (0 <= v <= 100 and round(v, 1) == v) for v in t.values(column.key)), t.id
        if t.chart:
            assert t.chart.x in keys and set(t.chart.series) <= set(keys), t.id
    # Staff's free text only in a table marked as such (COMMON14): the decline reasons.
    assert [t.id for t in tables if "Reason typed by staff" in {v for row in t.rows for v in row}] == [
        "flow_decline_reasons"]
