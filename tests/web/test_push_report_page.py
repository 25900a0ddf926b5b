"""The pushed 999 calls section on /reports and its CSV (/reports/push.csv), as a
manager meets them: an accessible table, its three ratios among the headlines, and
the same rows downloaded."""
import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from spoa.extensions import db as _db
from spoa.models import AuditEvent
from tests.support.data.report_page_data import referral

pytestmark = pytest.mark.both_databases

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen(frozen_now):
    frozen_now(NOW)


def _calls():
    for minutes, ending in ((0, "complete"), (60, None)):
        received = datetime(2026, 11, 23, 9, minutes % 60, tzinfo=UTC) + timedelta(hours=minutes // 60)
        call = referral(received, kind="pushed_call", breach_at=received + timedelta(minutes=20))
        call.history.append(AuditEvent(at=received + timedelta(minutes=5), actor_kind="user",
                                       actor_name="Test worker", event="accept"))
        if ending:
            call.history.append(AuditEvent(at=received + timedelta(hours=1), actor_kind="user",
                                           actor_name="Test worker", event=ending))
    _db.session.commit()


def test_a_manager_sees_the_section_and_downloads_its_rows(client, login_as, db):
    _calls()
    login_as("manager")
    page = client.get("/reports?from=22/11/2026&to=24/11/2026").get_data(as_text=True)
    assert '<section class="report-section" id="section-push"' in page
    assert '<h2 id="section-push-title">Pushed 999 calls</h2>' in page
    assert 'id="headline-push_avoided_conveyance"' in page and "1 of 2 pushed calls" in page
    assert '<th scope="col" class="numeric">Avoided conveyance (%)</th>' in page
    assert 'href="/reports/push.csv?from=2026-11-22&amp;to=2026-11-24"' in page

    response = client.get("/reports/push.csv?from=22/11/2026&to=24/11/2026")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="spoa-push-2026-11-22-to-2026-11-24.csv"'
    header, *rows = csv.reader(io.StringIO(response.get_data(as_text=True)))
    assert header[:3] == ["Day", "Pushed calls received", "Taken by the breach time"]
    assert [r[:3] for r in rows] == [["2026-11-22", "0", "0"], ["2026-11-23", "2", "2"], ["2026-11-24", "0", "0"]]
    monday = dict(zip(header, rows[1], strict=True))
    assert monday["Completed without an ambulance"] == "1" and monday["Avoided conveyance (%)"] == "50.0"
    assert monday["Accepted by UCR (%)"] == "100.0" and rows[0][-1] == ""
