"""The national 2-hour clock file as people download it (/reports/csds_ucr.csv):
rows naming SPOA's reference are personal data, so only the analyst gets them, and
every download is recorded before the first byte."""
import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from spoa.extensions import db as _db
from spoa.models import AuditEvent
from tests.support.data.report_page_data import referral, two_hour_clock

pytestmark = pytest.mark.both_databases

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen(frozen_now):
    frozen_now(NOW)


def _clocks():
    met = referral(datetime(2026, 11, 20, 9, 0, tzinfo=UTC))
    two_hour_clock(met, met_after=timedelta(minutes=84))
    waiting = referral(datetime(2026, 11, 24, 11, 0, tzinfo=UTC))
    two_hour_clock(waiting)
    _db.session.commit()
    return met, waiting


def test_the_analyst_downloads_the_file_and_the_download_is_recorded(client, login_as, db):
    met, waiting = _clocks()
    login_as("analyst")
    assert "/reports/csds_ucr.csv" in client.get("/reports").get_data(as_text=True)
    response = client.get("/reports/csds_ucr.csv?from=18/11/2026&to=24/11/2026")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="spoa-csds-ucr-2026-11-18-to-2026-11-24.csv"')
    header, *rows = csv.reader(io.StringIO(response.get_data(as_text=True)))
    assert header[0] == "WAITING TIME MEASUREMENT TYPE" and header[-1] == "SERVICE REQUEST IDENTIFIER"
    assert rows == [["05", "2026-11-20", "09:00:00", "2026-11-20", "10:24:00", "30", "84", "Y", met.reference],
                    ["05", "2026-11-24", "11:00:00", "", "", "99", "", "", waiting.reference]]
    recorded = db.session.query(AuditEvent).filter_by(event="extract_downloaded").one()
    assert recorded.detail == {"download": "csds_ucr", "from": "2026-11-18", "to": "2026-11-24", "route": None,
                               "source": None, "rows": 2}


@pytest.mark.parametrize("role", ["supervisor", "manager", "admin"])
def test_no_one_else_gets_the_rows_nor_a_link_to_them(client, login_as, db, role):
    _clocks()
    login_as(role)
    assert client.get("/reports/csds_ucr.csv").status_code == 403
    assert "/reports/csds_ucr.csv" not in client.get("/reports").get_data(as_text=True)
    assert not db.session.query(AuditEvent).filter_by(event="extract_downloaded").count()


def test_a_mistaken_period_is_explained_not_downloaded(client, login_as, db):
    login_as("analyst")
    response = client.get("/reports/csds_ucr.csv?from=31/02/2026")
    assert response.status_code == 422 and response.mimetype == "text/html"
    assert not db.session.query(AuditEvent).filter_by(event="extract_downloaded").count()
