"""A percentile read off counts ({value: how many}) is the database's percentile_cont
of the values themselves (the discharge report's days come from such counts)."""
from collections import Counter

import pytest
from sqlalchemy import literal, select, union_all

from spoa.extensions import db as _db
from spoa.platform.sql import percentile, percentile_of_counts

VALUES = [0, 0, 0, 0, 0, 1, 3, 4, 4, 9, 12]


@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.5, 0.75, 0.9, 1.0])
def test_as_the_database_computes_it(db, fraction):
    rows = union_all(*[select(literal(v).label("v")) for v in VALUES]).subquery()
    expected = _db.session.execute(select(percentile(rows.c.v, fraction))).scalar_one()
    assert percentile_of_counts(Counter(VALUES), fraction) == pytest.approx(expected)


def test_by_hand():
    assert percentile_of_counts({0: 5, 1: 1, 3: 1, 4: 1}, 0.9) == pytest.approx(3.3)  # ranks 6 and 7: 3 and 4
    assert percentile_of_counts({7: 1}, 0.9) == 7
    assert percentile_of_counts({}, 0.5) is None
