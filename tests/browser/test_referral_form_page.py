"""The call handler's form in a real browser: the preview follows what is typed."""
import pytest

from spoa.models import User

from tests.people import PASSWORD


@pytest.fixture
def handler_page(page, db):
    user = User(username="cara", role="call_handler")
    user.set_password(PASSWORD)
    db.session.add(user)
    db.session.commit()
    db.session.remove()
    page.goto("/login")
    page.fill("#username", "cara")
    page.fill("#password", PASSWORD)
    page.locator("form:not(.header__signout) button[type=submit]").click()
    page.wait_for_url("**/")
    return page


def test_the_preview_changes_when_a_red_flag_is_ticked_and_the_referral_saves(handler_page, db):
    page = handler_page
    page.goto("/referrals/new")
    page.select_option("[id='source']", "gp")
    page.fill("[id='patient.given_name']", "Ada")
    page.fill("[id='patient.family_name']", "Lovelace")
    page.fill("[id='patient.date_of_birth']", "1938-03-14")
    page.fill("[id='patient.postcode']", "NN1 5BD")
    page.select_option("[id='presenting_need']", "fall_no_injury")
    page.check("input[name=consent][value=yes]")
    route = page.locator(".preview__route")
    route.filter(has_text="Crisis response").wait_for()
    page.keyboard.press("Tab")
    page.check("input[value=chest_pain]")
    route.filter(has_text="Redirect to 999 or ED").wait_for()
    assert "emergency" in page.get_attribute("#preview", "class")
    page.uncheck("input[value=chest_pain]")
    route.filter(has_text="Crisis response").wait_for()
    page.click("text=Save referral")
    page.wait_for_url("**/referrals/*?saved=1")
    assert "Referral saved" in page.inner_text(".panel")
