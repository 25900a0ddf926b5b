"""The supervisors' live queue: what it lists, in what order, and its live stream."""
import html
import uuid
from datetime import timedelta

import pytest

from spoa.domain.actor import Actor
from spoa.models import Referral
from spoa.platform.timekeeping import now
from spoa.services.actions import apply_event
from tests.support.pages import rows_in
from tests.support.signing_in import csrf_token

pytestmark = pytest.mark.both_databases


def test_only_supervisors_see_the_queue(client, login_as):
    login_as("clinician", service="crisis_response")
    assert client.get("/queue").status_code == 403
    assert client.get("/queue/events").status_code == 403


def test_open_referrals_are_listed_nearest_breach_first_with_review_in_its_own_lane(client, login_as, post):
    t = now()
    later = post(at=t)
    sooner = post(at=t - timedelta(minutes=90))  # 30 minutes left on its 2-hour clock
    breached = post(at=t - timedelta(hours=3))
    review = post(at=t, presenting_need="other")  # no rule is sure: a supervisor decides
    login_as("supervisor")
    response = client.get("/queue")
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200 and "app;dur=" in response.headers["Server-Timing"]
    assert rows_in(page, "main") == [breached["id"], sooner["id"], later["id"]]
    assert rows_in(page, "review") == [review["id"]]
    row = page[page.index(f'id="row-{breached["id"]}"'):]
    assert "rag--red" in row[:200] and "Red (breached)" in row[:3000]
    assert "Breached 60 min ago" in row[:3000]
    assert 'id="count-total">4<' in page and 'id="count-breached">1<' in page
    assert 'data-key="crisis_response">Crisis response (2-hour urgent community response) <strong>3</strong>' in page


def test_amber_from_three_quarters_of_the_window(client, login_as, post):
    amber = post(at=now() - timedelta(minutes=95))  # 95 of 120 minutes gone: 79%
    green = post(at=now() - timedelta(minutes=80))  # 67%
    login_as("supervisor")
    page = client.get("/queue").get_data(as_text=True)
    assert f'class="queue-row rag--amber" data-id="{amber["id"]}"' in page
    assert f'class="queue-row rag--green" data-id="{green["id"]}"' in page


def test_filters_hide_what_they_exclude_without_javascript(client, login_as, post):
    emas = post()
    gp = post(source="gp", emas_category=None)
    login_as("supervisor")
    page = client.get("/queue?source=gp").get_data(as_text=True)
    emas_row = page[page.index(f'id="row-{emas["id"]}"'):]
    gp_row = page[page.index(f'id="row-{gp["id"]}"'):]
    assert "hidden>" in emas_row[:emas_row.index("<td>")]
    assert "hidden>" not in gp_row[:gp_row.index("<td>")]


def test_closed_referrals_leave_the_queue(client, login_as, post, db):
    done = post()
    login_as("supervisor")
    client.post(f"/referrals/{done['id']}/events", data={
        "event": "cancel", "reason": "Duplicate of a phone referral", "version": str(done["version"]),
        "csrf_token": csrf_token(client, "/queue"), "next": "/queue"})
    db.session.expire_all()
    assert db.session.get(Referral, uuid.UUID(done["id"])).state == "cancelled"  # the cancel happened...
    queue = client.get("/queue")
    assert queue.status_code == 200 and "Live queue" in queue.get_data(as_text=True)
    assert done["id"] not in queue.get_data(as_text=True)  # ...and the queue, shown, leaves it out


def test_a_supervisor_overrides_a_route_from_the_queue(client, login_as, post, db):
    referral = post()
    login_as("supervisor")
    panel = client.get(f"/queue/referrals/{referral['id']}/actions").get_data(as_text=True)
    assert "Change route" in panel and "Cancel referral" in panel
    response = client.post(f"/referrals/{referral['id']}/events", data={
        "event": "override", "route": "home_rehab", "urgency": "routine", "reason": "Known to home rehab",
        "version": str(referral["version"]), "csrf_token": csrf_token(client, "/queue"), "next": "/queue"})
    assert response.status_code == 302 and response.headers["Location"] == "/queue"
    stored = db.session.get(Referral, uuid.UUID(referral["id"]))
    db.session.refresh(stored)
    assert (stored.route, [d.kind for d in stored.decisions]) == ("home_rehab", ["rules", "override"])


def test_the_stream_starts_with_a_snapshot_then_sends_each_change(supervisor_stream, post, db):
    first = post()
    db.session.remove()
    stream = supervisor_stream()
    _, snapshot = stream.wait_for(lambda n, d: n == "snapshot")
    assert first["id"] in snapshot["lanes"]["main"] and "Capacity" not in snapshot["lanes"]["main"]
    second = post()
    db.session.remove()
    _, change = stream.wait_for(lambda n, d: n == "row" and d["id"] == second["id"])
    assert change["lane"] == "main" and f'id="row-{second["id"]}"' in change["html"]


def test_a_change_reaches_every_open_page_and_a_closed_referral_is_gone(supervisor_stream, post, db):
    pages = [supervisor_stream() for _ in range(3)]
    for page in pages:
        page.wait_for(lambda n, d: n == "snapshot")
    referral = post()
    db.session.remove()
    for page in pages:
        page.wait_for(lambda n, d: n == "row" and d["id"] == referral["id"])
    stored = db.session.get(Referral, uuid.UUID(referral["id"]))
    apply_event(stored, "cancel", Actor(kind="user", name="sian", role="supervisor"), reason="Entered twice")
    db.session.remove()
    for page in pages:
        page.wait_for(lambda n, d: n == "gone" and d["id"] == referral["id"])


def test_a_supervisor_routes_a_review_referral_from_the_queue(client, login_as, post, db):
    review = post(presenting_need="other")
    login_as("supervisor")
    panel = html.unescape(client.get(f"/queue/referrals/{review['id']}/actions").get_data(as_text=True))
    assert "Set route" in panel and "Change route" not in panel
    assert "Acknowledge escalation" not in panel  # nothing has breached: nothing to acknowledge
    response = client.post(f"/referrals/{review['id']}/events", data={
        "event": "triage", "route": "reablement", "urgency": "routine", "reason": "Needs personal care at home",
        "version": str(review["version"]), "csrf_token": csrf_token(client, "/queue"), "next": "/queue"})
    assert response.status_code == 302
    stored = db.session.get(Referral, uuid.UUID(review["id"]))
    db.session.refresh(stored)
    assert (stored.route, stored.state) == ("reablement", "offered")
    decisions = [(d.kind, d.route) for d in stored.decisions]
    assert decisions == [("rules", "supervisor_review"), ("supervisor", "reablement")]
