"""The inbox badge in a real browser: it counts up live on a page already
open, without a reload, when a notification for that person is committed; and a
notification is taken in two key presses from the badge."""
from datetime import timedelta

import pytest

from tests.support.data.inbox_data import crisis_staff, warned_referral
from tests.support.people import PASSWORD


@pytest.fixture
def sam(browser, live_server, db):
    """sam, the crisis response duty lead now (a notification nobody was named for reaches
    whoever holds its duty: spoa/notifications/inbox.py), signed in; and a sending system's token."""
    _, token = crisis_staff(db, "sam")
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    page.goto("/login")
    page.fill("#username", "sam")
    page.fill("#password", PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_url("**/")
    yield page, token
    context.close()


def test_the_badge_counts_up_live_on_a_second_page_without_a_reload(sam, live_server):
    first, token = sam
    second = first.context.new_page()
    second.goto("/worklist")
    for page in (first, second):
        assert page.locator("#inbox-badge").inner_text().split() == "0 notifications need someone".split()
    # The streams are open before anything is committed: wait for each page's first count.
    for page in (first, second):
        page.locator("#inbox-badge[data-live=on]").wait_for()
    page_urls = [first.url, second.url]
    warned_referral(live_server, token)
    for page in (first, second):
        page.locator("#inbox-count", has_text="1").wait_for(timeout=3000)
        assert page.locator("#inbox-badge").inner_text().split() == "1 notification needs someone".split()
        said = page.locator("#inbox-live").inner_text()  # what came, and the count
        assert said.startswith("New: SPOA-") and "first contact clock 75% of its time gone" in said
        assert said.endswith("1 notification needs someone.")
    assert [first.url, second.url] == page_urls  # no reload, no navigation
    assert first.evaluate("() => document.activeElement === document.body")  # focus not stolen


def test_two_key_presses_from_the_badge_take_it(sam, live_server):
    page, token = sam
    referral = warned_referral(live_server, token)
    page.goto("/")
    page.focus("#inbox-badge")
    page.keyboard.press("Enter")  # 1: to /notifications, its first "I have it" focused
    page.wait_for_url("**/notifications")
    # The page is shown with its first "I have it" focused (autofocus): a person's second
    # key press comes once they see it; a press before the page has loaded lands nowhere.
    focused = page.locator("button:focus")
    focused.wait_for()
    assert focused.inner_text().startswith("I have it")
    page.keyboard.press("Enter")  # 2: taken
    page.locator(".inset[role=status]", has_text=f"You have it: {referral['reference']}").wait_for()
    assert page.locator("#inbox-badge").inner_text().split() == "0 notifications need someone".split()
    assert page.locator(".notifications--taken li", has_text="Taken by sam").count() == 1


def test_a_breach_superseding_its_warning_is_news_though_the_count_stays(sam, live_server, app, db):
    """The clock's breach replaces its warning in the inbox (one item a clock), so the
    count stays 1: the badge must still say something new came, and what."""
    from spoa.models import Clock
    from spoa.notifications import chasing

    page, token = sam
    page.locator("#inbox-badge[data-live=on]").wait_for()
    warned_referral(live_server, token)
    page.locator("#inbox-count", has_text="1").wait_for(timeout=3000)
    page.locator("#inbox-live", has_text="75% of its time gone").wait_for(timeout=3000)
    with app.app_context():
        clock = db.session.query(Clock).filter_by(name="first_contact").one()
        chasing.advance(clock, clock.deadline + timedelta(seconds=1))
        db.session.commit()
        reference = clock.referral.reference
        db.session.remove()
    page.locator("#inbox-live", has_text="BREACHED").wait_for(timeout=3000)
    assert "inbox-badge--new" in page.locator("#inbox-badge").get_attribute("class")
    assert page.locator("#inbox-count").inner_text() == "1"
    assert page.locator("#inbox-live").inner_text().startswith(f"New: {reference}: first contact clock BREACHED")
