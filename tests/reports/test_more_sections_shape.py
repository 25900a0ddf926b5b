"""The capacity, discharge and ambulance sections hand the page, its charts and the
CSV rows they can all render: plain values, one per column, chart keys that are
columns, table ids unique, and no table marked as staff free text (``_reasons``:
managers would lose it) since every figure here is coded."""
from datetime import date, datetime

import pytest

from spoa.domain.period import Filters, Period
from spoa.extensions import db as _db
from spoa.reports import ambulance, capacity_use, discharge
from tests.support.data.report_discharge_data import declaration, delayed, emas, event, service, uk
from tests.support.data.report_discharge_data import discharge as a_discharge

PLAIN = (str, int, float, date, type(None))
PERIOD = Period(date(2026, 10, 19), date(2026, 10, 25))


@pytest.fixture
def some(db):
    service("vol_a", "Age UK Northants", kind="voluntary")
    declaration("vol_a", uk(2026, 10, 20, 9, 0), 5, 1)
    row = emas(uk(2026, 10, 20, 10, 0), 4, route="voluntary_sector", assigned_service="vol_a")
    event(row, "offer", uk(2026, 10, 20, 10, 0), {"service": "voluntary_sector", "organisation": "vol_a"})
    patient = a_discharge(uk(2026, 10, 22, 11, 0), drd=date(2026, 10, 21))
    delayed(patient, date(2026, 10, 22), "transport")
    _db.session.commit()


@pytest.mark.parametrize("filters", [Filters(), Filters(route="voluntary_sector", source="emas")])
def test_every_table_is_plain_rows_of_its_columns(some, filters):
    ids = []
    for module in (capacity_use, discharge, ambulance):
        section = module.section(PERIOD, filters)
        for table in section.tables:
            ids.append(table.id)
            assert not table.id.endswith("_reasons"), table.id
            assert table.note, table.id
            keys = [c.key for c in table.columns]
            assert len(set(keys)) == len(keys), table.id
            for row in table.rows:
                assert len(row) == len(keys), table.id
                assert all(isinstance(v, PLAIN) and not isinstance(v, datetime) for v in row), (table.id, row)
            if table.chart:
                assert {table.chart.x, *table.chart.series} <= set(keys), table.id
    assert len(set(ids)) == len(ids)
    assert len(ids) == 11
