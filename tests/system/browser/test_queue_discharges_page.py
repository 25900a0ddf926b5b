"""The discharges' lane in a real browser: a supervisor has the queue open
while a ward records a discharge, and the row and the lane's counts change without a
reload; the hospital and pathway filters apply at once, to rows that arrive later too."""
import time
from datetime import datetime

import pytest
import requests

from spoa.models import ApiClient, User
from spoa.platform.timekeeping import UK, now, to_uk
from tests.support.data.discharge_rows import HttpHospitals, make_discharge
from tests.support.data.referral_data import VALID_REFERRAL
from tests.support.people import PASSWORD
from tests.support.signing_in import open_live_queue


@pytest.fixture
def hub(browser, live_server, db):
    """A supervisor's queue page, live; post(**fields) -> a community referral through the
    API, and the hospitals' own systems (HttpHospitals)."""
    user = User(username="sian", role="supervisor")
    user.set_password(PASSWORD)
    client, token = ApiClient.issue(name="emas-hub", sources=["emas", "gp"])
    db.session.add_all([user, client])
    db.session.commit()
    db.session.remove()

    def post(**fields):
        body = {**VALID_REFERRAL, "source_reference": f"EMAS-{time.monotonic_ns()}", **fields}
        body["received_at"] = now().isoformat()
        response = requests.post(f"{live_server}/api/v1/referrals", json=body, timeout=5,
                                 headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 201, response.text
        return response.json()

    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    open_live_queue(page, "sian")
    yield page, post, HttpHospitals(db, live_server)
    context.close()


def test_a_discharge_recorded_by_the_ward_updates_the_open_queue_without_a_reload(hub, db):
    page, _, hospitals = hub
    referral = make_discharge(db, hospitals.send, drd_in_days=-2, proposed_pathway=2)
    db.session.remove()
    row = page.locator(f"#lane-discharge #row-{referral.id}")
    row.wait_for(timeout=2000)
    assert "Delayed 2 days: no reason recorded" in row.inner_text()
    assert "P1 (ward proposed P2)" in row.inner_text()
    assert page.inner_text("#count-delayed-patients") == "1" and page.inner_text("#count-delayed-days") == "2"
    assert page.inner_text("#counts-pathway [data-key='1'] strong") == "1"
    page.evaluate("document.body.dataset.sameDocument = 'yes'")  # gone after any reload

    hospitals.event(referral.id, "discharged")  # the ward's system, through the API
    page.locator(f"#row-{referral.id} .readiness", has_text="Discharged, welfare check due by").wait_for(timeout=2000)
    assert page.inner_text("#count-delayed-patients") == "0" and page.inner_text("#count-delayed-days") == "0"
    assert page.evaluate("document.body.dataset.sameDocument") == "yes"


def test_the_hospital_and_pathway_filters_apply_at_once_and_to_rows_that_arrive_later(hub, db):
    page, post, hospitals = hub
    ngh = make_discharge(db, hospitals.send)
    kgh = make_discharge(db, hospitals.send, hospital_ods="RNQ01", hospital_name="Kettering General Hospital")
    community = post()
    db.session.remove()
    page.locator(f"#row-{kgh.id}").wait_for()
    # Hospitals with no open discharge when the page loaded join the choices as their rows arrive.
    assert page.locator("#filter-hospital option").all_inner_texts() == [
        "All", "Northampton General Hospital", "Kettering General Hospital"]
    page.select_option("#filter-hospital", "RNQ01")
    assert page.locator(f"#row-{ngh.id}").is_hidden() and page.locator(f"#row-{kgh.id}").is_visible()
    assert page.locator(f"#row-{community['id']}").is_visible()  # the community lanes have no hospital
    assert "hospital=RNQ01" in page.url

    later = make_discharge(db, hospitals.send)  # Northampton's: hidden on arrival
    db.session.remove()
    page.locator(f"#row-{later.id}").wait_for(state="attached", timeout=2000)
    assert page.locator(f"#row-{later.id}").is_hidden()
    assert page.inner_text("#counts-pathway [data-key='1'] strong") == "3"  # counts: every open discharge

    page.select_option("#filter-hospital", "")
    page.select_option("#filter-pathway", "2")
    assert page.locator("#lane-discharge tr:visible").count() == 0


def test_at_midnight_the_page_takes_a_fresh_snapshot_for_the_new_day(browser, live_server, hub, db):
    """"Ready tomorrow" is wrong the morning after: the page reopens its stream when the UK
    day changes, and the snapshot says each row for the new day."""
    _, _, hospitals = hub
    referral = make_discharge(db, hospitals.send)
    db.session.remove()
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    today = to_uk(now()).date()
    page.clock.install(time=datetime(today.year, today.month, today.day, 23, 59, 50, tzinfo=UK))
    open_live_queue(page, "sian")
    row = page.locator(f"#row-{referral.id}")
    page.evaluate(f"document.getElementById('row-{referral.id}').dataset.before = 'midnight'")
    page.clock.run_for(5000)  # 23:59:55: the same day, the same rows
    assert row.get_attribute("data-before") == "midnight"
    page.clock.run_for(10000)  # 00:00:05
    page.locator(f"#row-{referral.id}:not([data-before])").wait_for(timeout=3000)
    page.locator("#live-status[data-state=live]").wait_for()
    context.close()
