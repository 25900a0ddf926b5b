"""Signing in, in a real browser, by keyboard alone."""
import pytest

from spoa.models import User
from tests.support.people import PASSWORD


@pytest.fixture
def supervisor(db):
    user = User(username="sam", role="supervisor")
    user.set_password(PASSWORD)
    db.session.add(user)
    db.session.commit()
    db.session.remove()  # release the test's session: the server's requests have their own


def test_a_supervisor_signs_in_with_the_keyboard_alone(page, supervisor):
    page.goto("/")
    assert page.url.endswith("/login?next=/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    for _ in range(3):  # past the header's link, to the first field
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "username":
            break
    assert page.evaluate("document.activeElement.id") == "username"
    page.keyboard.type("sam")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/")
    assert "Signed in as sam" in page.inner_text("h1")


def test_a_wrong_password_shows_the_error_summary(page, supervisor):
    page.goto("/login")
    page.fill("#username", "sam")
    page.fill("#password", "not it")
    page.click("button[type=submit]")
    summary = page.locator(".error-summary")
    assert summary.is_visible()
    assert "not right" in summary.inner_text()
    assert page.input_value("#username") == "sam"  # what was typed is kept


def test_the_page_runs_with_no_content_security_policy_violations(page, supervisor):
    violations = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.goto("/login")
    page.wait_for_load_state("networkidle")
    assert violations == []
    assert page.evaluate("getComputedStyle(document.querySelector('.header')).backgroundColor") == "rgb(0, 94, 184)"
