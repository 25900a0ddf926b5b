"""A real server on loopback and a real headless Chromium (Debian's, driven by
Playwright), for tests of what a person sees and does."""
import os
import shutil

import pytest

CHROMIUM = os.environ.get("SPOA_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM):
        message = f"Chromium not found at {CHROMIUM} (Debian package chromium)"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    yield page
    context.close()


def type_a_referral(page, *, nhs_number=None, referrer="Dr A Khan", date_of_birth="14/03/1938", description=None):
    """Fill the open new-referral form as a handler would for a GP's call about Ada Lovelace's
    fall (consent given), and wait for the preview to route it to crisis response."""
    page.select_option("[id='source']", "gp")
    if nhs_number:
        page.fill("[id='patient.nhs_number']", nhs_number)
    if referrer:
        page.fill("[id='referrer.name']", referrer)
    page.fill("[id='patient.given_name']", "Ada")
    page.fill("[id='patient.family_name']", "Lovelace")
    page.fill("[id='patient.date_of_birth']", date_of_birth)
    page.fill("[id='patient.postcode']", "NN1 5BD")
    page.select_option("[id='presenting_need']", "fall_no_injury")
    if description:
        page.fill("#description", description)
    page.check("input[name=consent][value=yes]")
    page.locator(".preview__route", has_text="Crisis response").wait_for()
