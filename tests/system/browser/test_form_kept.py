"""Nothing typed is lost, in a real browser: a referral typed while the session idles
out (a one-minute idle limit here, the server's clock moved by the test) is kept when
Save is pressed, shown again after signing in with what was typed and a message that it
was not saved, and saving it then stores exactly one referral."""
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from spoa.models import FormStash, Referral
from tests.support.people import PASSWORD, make_user
from tests.system.browser.conftest import type_a_referral

T0 = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
NOT_SAVED = "Your referral was not saved: your session had ended. Check the details and press Save."


@pytest.fixture
def clock():
    """The server's clock, running on from T0 (tests/system/browser/test_idle_session.py says why not frozen)."""
    traveller = time_machine.travel(T0, tick=True)
    yield traveller.start()
    traveller.stop()


@pytest.fixture
def handler_page(page, app, db, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", 1)
    make_user(db, username="cara")
    db.session.remove()
    return page


def sign_in(page):
    page.fill("#username", "cara")
    page.fill("#password", PASSWORD)
    page.locator("form:not(.header__signout) button[type=submit]").click()


DESCRIPTION = "Fell in the kitchen; on the floor an hour before her daughter came."


def test_a_referral_saved_after_the_session_idled_out_comes_back_after_sign_in_and_saves_once(
        handler_page, clock, db):
    page = handler_page
    page.goto("/login?next=/referrals/new")
    sign_in(page)
    page.wait_for_url("**/referrals/new")
    type_a_referral(page, description=DESCRIPTION)
    clock.move_to(T0 + timedelta(minutes=2))  # on the phone, nothing pressed, past the one-minute limit
    page.click("text=Save referral")
    page.wait_for_url("**/login?next=/referrals/new")
    assert "Nothing you typed is lost" in page.inner_text("main")
    assert db.session.query(Referral).count() == 0
    db.session.remove()  # no read left open: the server writes next
    sign_in(page)
    page.wait_for_url("**/referrals/new")
    notice = page.locator("#not-saved[role=alert]")
    assert NOT_SAVED in notice.inner_text()
    assert page.input_value("[id='patient.family_name']") == "Lovelace"
    assert page.input_value("[id='patient.date_of_birth']") == "14/03/1938"
    assert page.input_value("#description").startswith("Fell in the kitchen")
    assert page.input_value("[id='presenting_need']") == "fall_no_injury"
    assert page.is_checked("input[name=consent][value=yes]")
    assert db.session.query(FormStash).count() == 0
    db.session.remove()
    page.click("text=Save referral")
    page.wait_for_url("**/referrals/*?saved=1")
    assert "Referral saved" in page.inner_text(".panel")
    referrals = db.session.query(Referral).all()
    assert [(r.family_name, r.postcode) for r in referrals] == [("Lovelace", "NN1 5BD")]


def test_when_the_page_says_the_session_ended_its_button_keeps_the_form(handler_page, clock, app, db, monkeypatch):
    """The badge's stream finds the session ended while the form is open: the page says so
    and offers to keep what was typed (a link away would lose it)."""
    monkeypatch.setitem(app.config, "STREAM_RECHECK_SECONDS", 0.2)
    page = handler_page
    page.goto("/login?next=/referrals/new")
    sign_in(page)
    page.wait_for_url("**/referrals/new")
    type_a_referral(page, description=DESCRIPTION)
    clock.move_to(T0 + timedelta(minutes=2))
    alert = page.locator("#session-alert[role=alert]")
    alert.filter(has_text="You were signed out after 1 minute without activity").wait_for()
    assert "Nothing you typed is lost" in alert.inner_text()
    page.click("#session-sign-in")  # "Keep what I typed and sign in again"
    page.wait_for_url("**/login?next=/referrals/new")
    sign_in(page)
    page.wait_for_url("**/referrals/new")
    assert page.input_value("[id='patient.family_name']") == "Lovelace"
    assert NOT_SAVED in page.inner_text("#not-saved")
