"""Sessions end when people stop working, and the page says so (a real browser, a real
server, the server's clock moved by the test; the browser's by Playwright's clock).

An open page listens to streams (the inbox badge on every page) which reopen by
themselves after any blip: that must never keep a session alive. A few minutes before
the idle limit the page warns, with a way to stay signed in; at the limit it says the
session has ended, with the way to sign in again."""
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import time_machine

from spoa.models import User
from tests.support.people import PASSWORD
from tests.system.browser.relay import Relay

T0 = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
STREAM = "GET /notifications/events"


def _cara(db):
    user = User(username="cara", role="call_handler")
    user.set_password(PASSWORD)
    db.session.add(user)
    db.session.commit()
    db.session.remove()


def _sign_in(page, then="/"):
    page.goto(f"/login?next={then}")
    page.fill("#username", "cara")
    page.fill("#password", PASSWORD)
    page.locator("form:not(.header__signout) button[type=submit]").click()
    page.wait_for_url(f"**{then}")


@pytest.fixture
def clock():
    """The server's clock at T0 and running on from there (``clock.move_to(later)``). Running,
    not frozen: a stream's own waits (queue timeouts, its re-check) read the monotonic clock,
    which time-machine moves too; frozen, they would never end."""
    traveller = time_machine.travel(T0, tick=True)
    coordinates = traveller.start()
    yield coordinates
    traveller.stop()


@pytest.fixture
def relay(live_server):
    relay = Relay(urlsplit(live_server).port)
    yield relay
    relay.close()


def test_a_page_whose_stream_reconnects_is_still_signed_out_when_idle_and_says_so(
        browser, relay, app, db, clock, monkeypatch):
    monkeypatch.setitem(app.config, "STREAM_RECHECK_SECONDS", 0.2)
    _cara(db)
    context = browser.new_context(base_url=relay.url)
    page = context.new_page()
    _sign_in(page, "/notifications")
    page.locator("#inbox-badge[data-live=on]").wait_for()
    assert relay.requests(STREAM) == 1
    clock.move_to(T0 + timedelta(minutes=20))
    # A blip 20 minutes in: the browser reopens the badge's stream by itself.
    with page.expect_response(lambda r: r.url.endswith("/notifications/events")) as reopened:
        relay.cut()
    assert reopened.value.status == 200 and relay.requests(STREAM) == 2
    clock.move_to(T0 + timedelta(minutes=31))  # 31 minutes after the last thing anyone did
    alert = page.locator("#session-alert[role=alert]")
    alert.filter(has_text="You were signed out after 30 minutes without activity").wait_for(timeout=5000)
    assert page.url.endswith("/notifications")  # the page says so where it is: no reload, no navigation
    link = page.locator("#session-sign-in")
    assert link.inner_text() == "Sign in again"
    link.click()
    page.wait_for_url("**/login?next=%2Fnotifications")
    assert page.locator("#inbox-badge").count() == 0  # sign-in is shown as to nobody now
    page.fill("#username", "cara")
    page.fill("#password", PASSWORD)
    page.locator("form:not(.header__signout) button[type=submit]").click()
    page.wait_for_url("**/notifications")  # back where they were
    context.close()


@pytest.fixture
def timed_page(browser, live_server, db):
    """A page whose own clock (timers, Date) the test moves: the session's warning is timed by it."""
    _cara(db)
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    page.clock.install()
    yield page
    context.close()


def test_a_few_minutes_before_the_idle_limit_the_page_warns_and_staying_keeps_the_session(timed_page, clock):
    page = timed_page
    _sign_in(page, "/notifications")
    alert = page.locator("#session-alert")
    clock.move_to(T0 + timedelta(minutes=25))
    page.clock.fast_forward("25:00")  # the page asks the server how long is left
    alert.filter(has_text="you will be signed out at").wait_for()
    assert "in about 5 minutes" in alert.inner_text()  # 300 s left, less the test's own few
    page.click("#session-stay")
    page.wait_for_function("() => document.getElementById('session-alert').childElementCount === 0")
    clock.move_to(T0 + timedelta(minutes=25 + 29))
    page.reload()
    assert page.url.endswith("/notifications")  # still signed in: staying counted as activity


def test_a_page_left_past_the_idle_limit_says_the_session_has_ended(timed_page, clock):
    page = timed_page
    _sign_in(page, "/notifications")
    alert = page.locator("#session-alert")
    clock.move_to(T0 + timedelta(minutes=25))
    page.clock.fast_forward("25:00")
    alert.filter(has_text="you will be signed out").wait_for()
    clock.move_to(T0 + timedelta(minutes=30, seconds=30))  # the clock runs: sign-in took a few seconds
    page.clock.fast_forward("05:01")  # nobody pressed anything
    alert.filter(has_text="You were signed out after 30 minutes without activity").wait_for()
    assert page.locator("#session-sign-in").get_attribute("href") == "/login?next=%2Fnotifications"
