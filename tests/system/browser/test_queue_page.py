"""Two supervisors watch the live queue in real browsers: a referral
posted through the API appears on both within a second, a breach turns its row
red, and one supervisor's override shows on the other's page."""
import threading
import time
from datetime import timedelta

import pytest

from spoa.models import ApiClient, User
from spoa.platform.timekeeping import now
from tests.support.data.referral_data import post_referral
from tests.support.people import PASSWORD
from tests.support.signing_in import open_live_queue


@pytest.fixture
def supervisors(browser, live_server, db):
    token = None
    for name in ("sian", "sol"):
        user = User(username=name, role="supervisor")
        user.set_password(PASSWORD)
        db.session.add(user)
    client, token = ApiClient.issue(name="emas-hub", sources=["emas", "gp"])
    db.session.add(client)
    db.session.commit()
    db.session.remove()
    pages = []
    for name in ("sian", "sol"):
        context = browser.new_context(base_url=live_server)
        page = context.new_page()
        open_live_queue(page, name)
        pages.append(page)
    yield pages, token
    for page in pages:
        page.context.close()


@pytest.fixture
def worker(app):
    """The reconciler every 0.2 s, in its own thread and app context, as an RQ worker runs it."""
    from workers.context import use_app
    from workers.jobs import reconcile

    use_app(app)
    stop = threading.Event()

    def run():
        while not stop.wait(0.2):
            reconcile()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(5)


def test_a_referral_posted_through_the_api_appears_on_both_pages_within_a_second(supervisors, live_server):
    pages, token = supervisors
    referral = post_referral(live_server, token)
    posted = time.monotonic()
    for page in pages:
        page.locator(f"#row-{referral['id']}").wait_for(timeout=1000)
    assert time.monotonic() - posted < 1.0
    for page in pages:
        row = page.locator(f"#row-{referral['id']}")
        assert referral["reference"] in row.inner_text() and "Crisis response" in row.inner_text()
        assert page.inner_text("#count-total") == "1"


def test_a_breach_turns_the_row_red_on_both_pages(supervisors, live_server, worker):
    pages, token = supervisors
    due = now() - timedelta(hours=2) + timedelta(seconds=3)  # 2-hour clock ends in 3 s
    referral = post_referral(live_server, token, received_at=due)
    row_id = f"#row-{referral['id']}"
    for page in pages:
        page.locator(row_id).wait_for(timeout=1000)
        assert "rag--amber" in page.get_attribute(row_id, "class")  # 97% of its window gone
    for page in pages:
        page.locator(f"{row_id}.rag--red").wait_for(timeout=6000)
        assert "Red (breached)" in page.inner_text(f"{row_id} .rag")
        # The worker's breach (escalation to the duty lead) arrives as an event too.
        page.locator(row_id, has_text="Level 1").wait_for(timeout=3000)
        assert page.inner_text("#count-breached") == "1"


def test_an_override_on_one_page_shows_on_the_other(supervisors, live_server):
    (sian, sol), token = supervisors
    referral = post_referral(live_server, token)
    row_id = f"#row-{referral['id']}"
    for page in (sian, sol):
        page.locator(row_id).wait_for(timeout=1000)
    sian.click(f"{row_id} .queue-act")
    panel = sian.locator("#actions-panel")
    panel.wait_for()
    form = panel.locator("form", has=sian.locator("input[name=event][value=override]"))
    form.locator("select[name=route]").select_option("home_rehab")
    form.locator("select[name=urgency]").select_option("routine")
    form.locator("input[name=reason]").fill("Known to the home rehab team this week")
    form.get_by_role("button", name="Change route").click()
    sian.wait_for_url("**/queue")
    sol.locator(row_id, has_text="Home-based rehabilitation").wait_for(timeout=1500)
    assert "Home-based rehabilitation" in sian.inner_text(row_id)
