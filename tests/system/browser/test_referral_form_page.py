"""The call handler's form in a real browser: the preview follows what is typed."""
import pytest

from spoa.models import User
from tests.support.people import PASSWORD
from tests.system.browser.conftest import type_a_referral


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
    type_a_referral(page, referrer=None, date_of_birth="1938-03-14")
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


def test_a_match_opens_from_the_panel_and_past_the_hours_allowance_the_panel_says_so(
        handler_page, app, client, sender, payload, monkeypatch):
    """The ambulance crew's open referral comes up as the handler types its NHS number;
    its reference opens it (a posted choice) in a new tab. Past the allowance the live
    region says the patient was not checked, and Save still saves."""
    sent = client.post("/api/v1/referrals", json=payload(), headers=sender[1]).get_json()
    monkeypatch.setitem(app.config, "DUPLICATE_LOOKUPS_PER_HOUR", 1)
    page = handler_page
    page.goto("/referrals/new")
    type_a_referral(page, nhs_number="943 476 5919", referrer=None, date_of_birth="1938-03-14")
    match = page.get_by_role("button", name=f"Open {sent['reference']} in a new tab")
    match.wait_for()
    with page.context.expect_page() as opened:
        match.click()
    referral = opened.value
    referral.wait_for_load_state()
    assert referral.url.endswith(f"/referrals/{sent['id']}") and sent["reference"] in referral.inner_text("main")
    referral.close()
    page.fill("[id='patient.nhs_number']", "401 023 2137")  # another patient: past the allowance of 1
    limit = page.locator("#preview[aria-live=polite] .preview__limit")
    limit.filter(has_text="was not checked for an open referral").wait_for()
    assert page.locator(".preview__duplicates").is_hidden()
    page.click("text=Save referral")
    page.wait_for_url("**/referrals/*?saved=1")


def test_the_save_panels_match_opens_in_a_new_tab_and_the_form_stays(handler_page, client, sender, payload):
    """Save's duplicate panel sits inside the referral form; its match buttons belong to
    small forms of their own (form="..."), so opening one posts only the choice to open."""
    sent = client.post("/api/v1/referrals", json=payload(), headers=sender[1]).get_json()
    page = handler_page
    page.goto("/referrals/new")
    type_a_referral(page, nhs_number="943 476 5919", referrer=None, date_of_birth="1938-03-14")
    page.click("text=Save referral")
    panel = page.locator(".duplicate")
    panel.wait_for()
    with page.context.expect_page() as opened:
        panel.get_by_role("button", name=f"Open {sent['reference']} in a new tab").click()
    referral = opened.value
    referral.wait_for_load_state()
    assert referral.url.endswith(f"/referrals/{sent['id']}")
    assert page.url.endswith("/referrals/new") and page.input_value("[id='patient.given_name']") == "Ada"
    page.check("input[name=duplicate_choice][value=new]")
    page.click("text=Continue")
    page.wait_for_url("**/referrals/*?saved=1")
