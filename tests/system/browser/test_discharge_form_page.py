"""A ward's discharge call typed into the discharge form in a real browser, by
keyboard alone (Tab, the arrow keys in radio groups, Space, Enter, typing; no
clicks): the preview shows the pathway the needs reach and, beside it, the ward's
different proposal, before Save; Save stores the referral on that pathway."""
from datetime import timedelta

import pytest

from spoa.models import Referral, User
from spoa.platform.timekeeping import now, uk_date
from tests.support.people import PASSWORD
from tests.system.browser.keyboard import choose, tab_to, type_into


@pytest.fixture
def coordinator_page(page, db):
    user = User(username="cara", role="call_handler")
    user.set_password(PASSWORD)
    db.session.add(user)
    db.session.commit()
    db.session.remove()  # the server's requests have their own sessions
    page.goto("/login")
    page.fill("#username", "cara")
    page.fill("#password", PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_url("**/")
    return page


def test_a_ward_s_call_is_typed_by_keyboard_previewed_on_its_pathway_and_saved(coordinator_page, db):
    page = coordinator_page
    today = uk_date(now())
    page.goto("/referrals/new/discharge")

    tab_to(page, "source")
    page.keyboard.type("Acute")
    type_into(page, "referrer.name", "Sister A Nightingale")
    type_into(page, "referrer.phone", "01604 634700")
    type_into(page, "discharge.hospital_ods", "RNS01")
    type_into(page, "discharge.hospital_name", "Northampton General Hospital")
    type_into(page, "discharge.ward", "Talbot Butler")
    type_into(page, "patient.nhs_number", "943 476 5919")
    type_into(page, "patient.given_name", "Ada")
    type_into(page, "patient.family_name", "Lovelace")
    type_into(page, "patient.date_of_birth", "14/03/1938")
    type_into(page, "patient.postcode", "NN1 5BD")
    choose(page, "patient.lives_alone", "yes")
    type_into(page, "discharge.admitted_on", (today - timedelta(days=3)).strftime("%d/%m/%Y"))
    type_into(page, "discharge.discharge_ready_date", (today + timedelta(days=1)).strftime("%d/%m/%Y"))
    tab_to(page, "discharge.needs.mobility")
    page.keyboard.type("With")  # "With a walking aid"
    choose(page, "discharge.needs.personal_care", "yes")
    choose(page, "discharge.needs.night_care", "no")
    choose(page, "discharge.needs.rehab_goals", "yes")  # two carers and cognition: left not known
    tab_to(page, "discharge.needs.equipment=walking_frame")
    page.keyboard.press("Space")
    tab_to(page, "discharge.care_package")
    page.keyboard.type("None")
    choose(page, "discharge.proposed_pathway", "2")  # the ward thinks a community bed
    type_into(page, "discharge.patient_wishes", "Wants to go home to her cat.")
    tab_to(page, "consent=yes")
    page.keyboard.press("Space")

    # Before Save: the service and pathway the needs reach (D5), and the ward's proposal beside it.
    page.locator(".preview__route", has_text="Home-based rehabilitation").wait_for()
    assert page.inner_text(".preview__pathway") == "Pathway 1: home with new or restarted support"
    assert page.inner_text(".preview__proposed") == "Ward proposed P2, needs say P1."
    assert "discharge-p1-rehab" in page.inner_text(".preview__why")

    tab_to(page, "=")  # the Save button has neither id nor name
    assert page.evaluate("document.activeElement.textContent") == "Save referral"
    page.keyboard.press("Enter")
    page.wait_for_url("**/referrals/*?saved=1")
    assert "Referral saved" in page.inner_text(".panel")

    referral = db.session.query(Referral).one()
    assert (referral.kind, referral.route, referral.pathway, referral.proposed_pathway) == (
        "discharge", "home_rehab", 1, 2)
    assert (referral.channel, referral.ward, referral.hospital_ods) == ("form", "Talbot Butler", "RNS01")
    assert referral.discharge["needs"] == {"mobility": "with_aid", "personal_care": True, "night_care": False,
                                           "rehab_goals": True, "equipment": ["walking_frame"]}
