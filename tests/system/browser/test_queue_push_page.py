"""A supervisor watches the pushed calls' lane in a real browser: a call the ambulance
service pushes arrives live and is announced once, its countdown ticks on screen while
the words a screen reader reads change by the minute, five minutes left is announced,
and "I have it" takes it by keyboard alone (the row came live, without the page's token:
the page's script put it in)."""
import json
import time
from datetime import timedelta

import pytest

from spoa.models import ApiClient, User
from tests.fhir.messages import SPOA_DOS_ID
from tests.support.people import PASSWORD
from tests.support.pushing import push_call
from tests.support.signing_in import open_live_queue
from tests.system.browser.keyboard import focused


@pytest.fixture
def ambulance(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "SPOA_DOS_SERVICE_IDS", (SPOA_DOS_ID,))
    client, token = ApiClient.issue(name="ambulance-cad", sources=["emas"])
    user = User(username="sian", role="supervisor")
    user.set_password(PASSWORD)
    db.session.add_all([client, user])
    db.session.commit()
    db.session.remove()
    return token


@pytest.fixture
def queue_page(browser, live_server, ambulance):
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    open_live_queue(page, "sian")
    yield page
    context.close()


def test_a_pushed_call_arrives_counts_down_is_announced_and_is_taken_by_keyboard(queue_page, live_server, ambulance):
    page = queue_page
    # Its breach time a little over five minutes away: the five-minute warning is seconds off,
    # with room for a loaded machine between the post and the checks below.
    call = push_call(live_server, ambulance, timedelta(minutes=5, seconds=8))
    row = page.locator(f"#lane-push #row-{call['id']}")
    row.wait_for(timeout=2000)
    live = page.locator("#push-live")
    live.filter(has_text=f"New pushed 999 call {call['reference']}: breach time ").wait_for(timeout=2000)
    assert "5 minutes left" in live.inner_text()
    assert "AMB-4242" in row.inner_text()

    # The figure ticks each second; the screen reader's words do not until the minute changes.
    figure = row.locator(".push-countdown")
    first = figure.inner_text()
    page.wait_for_function(f"() => document.querySelector('#row-{call['id']} .push-countdown').textContent"
                           f" !== {json.dumps(first)}", timeout=3000)
    assert row.locator(".push-left").inner_text() == "5 minutes left"
    assert figure.get_attribute("aria-hidden") == "true"
    # Past five minutes left: said once in the lane's status line, and the words follow.
    live.filter(has_text=f"Pushed 999 call {call['reference']}: 5 minutes to its breach time.").wait_for(timeout=15000)
    assert row.locator(".push-left").inner_text() == "4 minutes left"

    # "I have it", by keyboard: the reference, then the button, then Enter.
    page.focus(f"#row-{call['id']} a")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == f"I have it: {call['reference']}"
    assert focused(page) == "="  # a button with neither id nor name: the one just reached
    started = time.monotonic()
    page.keyboard.press("Enter")
    page.wait_for_url("**/queue#lane-push-title")
    page.locator(".inset", has_text=f"{call['reference']}: Accepted").wait_for()
    assert time.monotonic() - started < 5
    taken = page.locator(f"#lane-push #row-{call['id']}")
    assert "Taken" in taken.inner_text() and taken.locator(".push-take").count() == 0


def test_the_push_lane_keeps_filters_and_counts_with_the_others(queue_page, live_server, ambulance):
    page = queue_page
    call = push_call(live_server, ambulance, timedelta(minutes=20))
    page.locator(f"#lane-push #row-{call['id']}").wait_for(timeout=2000)
    page.locator("#count-total", has_text="1").wait_for()
    page.select_option("#filter-route", "home_rehab")
    assert page.locator(f"#row-{call['id']}").is_hidden()
    page.select_option("#filter-route", "")
    assert page.locator(f"#row-{call['id']}").is_visible()
