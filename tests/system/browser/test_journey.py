"""The whole telephone journey in a real browser: a call handler enters a
referral by keyboard, watches the preview react to a red flag, saves it; a
clinician finds it on the service worklist, accepts it, records first contact and
sees the timeline. And the refusals: a form without its CSRF token, a wrong role."""
import re

import pytest

from spoa.models import User
from tests.support.people import PASSWORD
from tests.support.signing_in import sign_in_page
from tests.system.browser.keyboard import focused, tab_to, type_into


@pytest.fixture
def staff(db):
    for username, role, service in (("cara", "call_handler", None), ("colin", "clinician", "crisis_response")):
        user = User(username=username, role=role, service=service)
        user.set_password(PASSWORD)
        db.session.add(user)
    db.session.commit()
    db.session.remove()  # the server's requests have their own sessions


def sign_out(page):
    page.click("text=Sign out")
    page.wait_for_url("**/login")


def test_a_referral_goes_from_the_phone_to_first_contact(page, staff):
    sign_in_page(page, "cara")
    page.goto("/referrals/new")
    route = page.locator(".preview__route")

    # By keyboard alone, in the order of the call.
    tab_to(page, "source")
    page.keyboard.type("GP")
    type_into(page, "referrer.name", "Dr A Khan")
    type_into(page, "referrer.phone", "01604 111222")
    type_into(page, "patient.nhs_number", "943 476 5919")
    type_into(page, "patient.given_name", "Ada")
    type_into(page, "patient.family_name", "Lovelace")
    type_into(page, "patient.date_of_birth", "14/03/1938")
    assert re.fullmatch(r"Age \d+", page.inner_text("#patient-age"))
    type_into(page, "patient.postcode", "nn1 5bd")
    tab_to(page, "presenting_need")
    page.keyboard.type("Fall")
    type_into(page, "description", "Found on the floor by her carer, no injury seen.")
    tab_to(page, "red_flags=chest_pain")
    page.keyboard.press("Space")
    tab_to(page, "consent=yes")
    page.keyboard.press("Space")
    route.filter(has_text="Redirect to 999 or ED").wait_for()  # the red flag decides
    assert "emergency" in page.get_attribute("#preview", "class")
    page.keyboard.press("Shift+Tab")
    for _ in range(60):  # back up to the ticked red flag and untick it
        if focused(page) == "red_flags=chest_pain":
            break
        page.keyboard.press("Shift+Tab")
    page.keyboard.press("Space")
    route.filter(has_text="Crisis response").wait_for()
    assert "2-hour" in route.inner_text()
    tab_to(page, "=")  # the Save button has neither id nor name
    assert page.evaluate("document.activeElement.textContent") == "Save referral"
    page.keyboard.press("Enter")

    page.wait_for_url("**/referrals/*?saved=1")
    panel = page.inner_text(".panel")
    assert "Referral saved" in panel and "first contact by" in panel
    reference = re.search(r"SPOA-\S{3} \S{3}", panel).group(0).replace(" ", "")
    sign_out(page)

    # The crisis team's clinician finds it, accepts it, records first contact.
    sign_in_page(page, "colin")
    page.goto("/worklist")
    row = page.locator("tr", has_text=reference)
    row.get_by_role("button", name="Accept").click()
    page.locator(".inset", has_text=f"{reference}: Accepted.").wait_for()
    page.locator("tr", has_text=reference).get_by_role("button", name="Record first contact").click()
    page.locator(".inset", has_text=f"{reference}: First contact made.").wait_for()
    page.locator("tr", has_text=reference).get_by_role("link", name=reference).click()
    timeline = page.inner_text(".timeline")
    for line in ("triage by rules engine", "accept by colin", "first contact by colin"):
        assert line in timeline
    assert "in progress" in page.inner_text(".route")


def test_a_form_without_its_csrf_token_is_not_saved_and_comes_back_as_typed(page, staff, db):
    """The form still names who it was served to (signed): what was typed is kept for them."""
    sign_in_page(page, "cara")
    page.goto("/referrals/new")
    page.evaluate("document.querySelector('#referral-form input[name=csrf_token]').remove()")
    page.select_option("[id='source']", "gp")
    page.click("text=Save referral")
    assert "Your referral was not saved" in page.inner_text("#not-saved[role=alert]")
    assert page.input_value("[id='source']") == "gp"
    from spoa.models import Referral

    assert db.session.query(Referral).count() == 0


def test_a_form_naming_neither_its_token_nor_its_owner_is_refused_and_nothing_saved(page, staff, db):
    sign_in_page(page, "cara")
    page.goto("/referrals/new")
    page.evaluate("for (const name of ['csrf_token', 'form_owner'])"
                  " document.querySelector(`#referral-form input[name=${name}]`).remove()")
    page.select_option("[id='source']", "gp")
    page.click("text=Save referral")
    assert "The form could not be sent" in page.inner_text("h1")
    from spoa.models import FormStash, Referral

    assert db.session.query(Referral).count() == 0 and db.session.query(FormStash).count() == 0


@pytest.mark.parametrize("path", ["/referrals/new", "/admin/users", "/admin/api-clients"])
def test_a_clinician_is_refused_pages_outside_their_role(page, staff, path):
    sign_in_page(page, "colin")
    response = page.goto(path)
    assert response.status == 403
    assert "You do not have access to this page" in page.inner_text("h1")
    assert page.get_by_role("link", name="Go to the home page").is_visible()


def test_no_page_opens_without_signing_in(page):
    for path in ("/", "/referrals/new", "/worklist", "/admin/users"):
        page.goto(path)
        assert "/login?next=" in page.url
