"""A manager in a real browser: signs in, lands on the reports, sees the 2-hour
figure against the ambition, the charts drawn (inline SVG, styled by our own
stylesheet under the pages' Content Security Policy), the tables, and downloads
a table's CSV and the period's counts through their links (rows are an analyst's). With JavaScript off the page
is the same: everything on it is drawn by the server."""
import csv
import io
from datetime import timedelta

import pytest

from spoa.models import User
from spoa.platform.timekeeping import now, uk_date
from spoa.reports import sections
from tests.support.data.report_page_data import REPORT, referral, two_hour_clock
from tests.support.people import PASSWORD
from tests.support.signing_in import sign_in_page


@pytest.fixture
def test_sections(monkeypatch):
    """REPORT in place of the real sections: what the page does with any section."""
    monkeypatch.setattr(sections, "SECTIONS", (REPORT,))


@pytest.fixture
def manager(db):
    user = User(username="mona", role="manager")
    user.set_password(PASSWORD)
    db.session.add(user)
    received = now() - timedelta(hours=4)
    for met_after in (timedelta(minutes=50), timedelta(minutes=95), timedelta(hours=3)):  # 2 of 3 met
        two_hour_clock(referral(received), met_after=met_after)
    db.session.commit()
    db.session.remove()
    return user


def sign_in(browser, live_server, **options):
    """mona, the manager, in a browser context of her own (``options``: the context's)."""
    context = browser.new_context(base_url=live_server, accept_downloads=True, **options)
    return sign_in_page(context.new_page(), "mona", lands="**/reports")  # where a manager lands


def test_a_manager_sees_the_two_hour_figure_charts_and_tables_and_downloads_the_csv(browser, live_server,
                                                                                     test_sections, manager):
    page = sign_in(browser, live_server)
    headline = page.locator("#headline-two_hour")
    assert "66.7%" in headline.inner_text() and "Target not met (national ambition 70%)" in headline.inner_text()
    assert "2 of 3 met within 2 hours" in headline.inner_text()

    chart = page.get_by_role("img", name="Referrals per day (test)")
    assert chart.evaluate("el => el.tagName") == "svg" and chart.is_visible()
    assert chart.bounding_box()["width"] > 300  # drawn at a readable size
    assert page.locator("svg[role=img]").count() == 3
    # Styled by spoa.css (the CSP allows no inline style): the first series in NHS blue, not unstyled black.
    bar = chart.locator("rect.chart__s0").first
    assert bar.evaluate("el => getComputedStyle(el).fill") == "rgb(0, 94, 184)"

    table = page.get_by_role("table", name="Referrals per day (test)")
    assert table.locator("tbody tr").count() == 7  # the last 7 days
    assert table.get_by_role("columnheader").all_inner_texts() == ["Day", "EMAS", "GP"]

    with page.expect_download() as info:
        page.get_by_role("link", name="Download ‘Referrals per day (test)’ (CSV)").click()
    download = info.value
    today = uk_date(now())
    first = today - timedelta(days=6)
    assert download.suggested_filename == f"spoa-test_by_day-{first.isoformat()}-to-{today.isoformat()}.csv"
    rows = list(csv.reader(io.StringIO(open(download.path(), encoding="utf-8").read())))
    assert rows[0] == ["Day", "EMAS", "GP"] and len(rows) == 8
    assert (rows[1][0], rows[-1][0]) == (first.isoformat(), today.isoformat())

    assert page.get_by_role("link", name="Download the pseudonymised referral extract (CSV)").count() == 0  # rows: no
    with page.expect_download() as info:
        page.get_by_role("link", name="Download the period's counts (CSV)").click()
    counts = list(csv.reader(io.StringIO(open(info.value.path(), encoding="utf-8").read())))
    assert counts[0] == ["measure", "value", "referrals"] and counts[1] == ["all referrals", "", "*"]  # 3
    page.context.close()


def test_the_reports_page_works_without_javascript(browser, live_server, test_sections, manager):
    page = sign_in(browser, live_server, java_script_enabled=False)
    assert page.get_by_role("img", name="Outcomes (test)").is_visible()
    page.fill("#from", "31/02/2026")
    page.get_by_role("button", name="Show report").click()
    page.locator(".error-summary").wait_for()
    assert "Enter the start date as day/month/year" in page.locator("#from-error").inner_text()
    page.context.close()



def test_a_manager_sees_the_week_s_demand_and_two_hour_performance_and_downloads_the_csv(browser, live_server,
                                                                                         manager):
    """The real sections: what the county asked for, in one page."""
    page = sign_in(browser, live_server)
    assert "Target not met (national ambition 70%)" in page.locator("#headline-two_hour").inner_text()
    demand = page.get_by_role("table", name="Referrals per day, by source")
    assert demand.locator("tbody tr").count() == 7
    assert page.locator("#table-demand_by_day svg[role=img]").is_visible()
    assert page.locator("#table-performance_clocks svg[role=img]").is_visible()
    assert page.locator("#table-flow_decline_reasons").count() == 0  # staff's free text: not a manager's
    with page.expect_download() as info:
        page.get_by_role("link", name="Download ‘Referrals per day, by source’ (CSV)").click()
    assert info.value.suggested_filename.startswith("spoa-demand_by_day-")
    header, *rows = list(csv.reader(io.StringIO(open(info.value.path(), encoding="utf-8").read())))
    total = header.index("All referrals")
    assert len(rows) == 7 and sum(int(r[total]) for r in rows) == 3
    page.context.close()
