"""The supervisors' view of pushed 999 calls: their own lane at the top of the live queue,
a countdown to each call's breach time (the instant, the words a screen reader reads,
never a live region ticking), "I have it" in the row, the lane live like every other;
and the referral page's messages exchanged with the ambulance service."""
import html
import re
import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest

from spoa.domain.actor import Actor
from spoa.extensions import db as database
from spoa.live.row_html import left_words, ticking
from spoa.models import Referral
from spoa.platform.timekeeping import now
from spoa.services.actions import apply_event
from tests.support.pages import rows_in

from .push_messages import pushed_call

SUPERVISOR = Actor(kind="user", name="sian", role="supervisor")


@pytest.fixture
def ambulance(make_api_client):
    return make_api_client(sources=["emas"], name="ambulance-cad")


@pytest.fixture
def push(post, ambulance):
    """push(minutes to its breach time, **pushed_call options) -> the referral."""
    def send(minutes=18, **options):
        breach = (now() + timedelta(minutes=minutes)).replace(microsecond=0).isoformat()
        response = post(pushed_call(breach=breach, **options), token=ambulance[1])
        assert response.status_code == 200, response.get_data(as_text=True)
        found = database.session.scalars(database.select(Referral).order_by(Referral.received_at.desc())).first()
        # What the tests compare with, kept past the session (a request ends it).
        return SimpleNamespace(id=found.id, reference=found.reference, version=found.version,
                               breach_at=found.breach_at, state=found.state)
    return send


def row_of(page: str, referral_id) -> str:
    start = page.index(f'id="row-{referral_id}"')
    return page[start:page.index("</tr>", start)]


def form_fields(row: str) -> dict:
    return {m.group(1): html.unescape(m.group(2))
            for m in re.finditer(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', row)}


def test_a_pushed_call_is_in_its_own_lane_first_on_the_page(client, login_as, push, db):
    community = push(use_case="a4t3", case_number="AMB-1")
    login_as("supervisor")
    page = client.get("/queue").get_data(as_text=True)
    assert rows_in(page, "push") == [str(community.id)]
    for lane in ("review", "main", "discharge"):
        assert str(community.id) not in rows_in(page, lane)
    # First of the lanes, under its own heading.
    assert page.index('id="lane-push"') < page.index('id="lane-review"') < page.index('id="lane-main"')
    assert '<h2 id="lane-push-title" tabindex="-1">Pushed 999 calls</h2>' in page
    row = row_of(page, community.id)
    assert 'data-lane="push"' in row and "<td>AMB-1</td>" in row


def test_the_countdown_gives_the_instant_the_uk_time_and_words_by_the_minute(client, login_as, push, db):
    referral = push(minutes=18)
    login_as("supervisor")
    page = client.get("/queue").get_data(as_text=True)
    row = row_of(page, referral.id)
    breach = referral.breach_at.isoformat(timespec="seconds")
    assert f'data-breach-at="{breach}"' in row  # the instant the page's script counts down to
    assert re.search(rf'<time datetime="{re.escape(breach)}">\d\d:\d\d (today|tomorrow) \((GMT|BST)\)</time>', row)
    # The figure ticks every second on screen, hidden from screen readers; their words change by the minute.
    assert re.search(r'<span class="push-countdown" aria-hidden="true">1[78]:\d\d</span>', row)
    assert re.search(r'<span class="visually-hidden push-left">1[78] minutes left</span>', row)
    # Nothing in the lane's rows is a live region: only the lane's one status line speaks.
    lane = page[page.index('id="lane-push-title"'):page.index('id="lane-review-title"')]
    assert "aria-live" not in lane and lane.count('role="status"') == 1
    assert '<p class="visually-hidden" id="push-live" role="status"></p>' in lane


@pytest.mark.parametrize("seconds, words, figure", [
    (18 * 60 + 5, "18 minutes left", "18:05"),
    (61, "1 minute left", "1:01"),
    (59, "less than a minute left", "0:59"),
    (0, "breach time passed", "0:00"),
    (-30, "breach time passed", "-0:30"),
    (-125, "breach time passed 2 minutes ago", "-2:05"),
])
def test_the_countdown_s_words_and_figure(seconds, words, figure):
    assert (left_words(seconds), ticking(seconds)) == (words, figure)


def test_i_have_it_accepts_the_call_from_its_row(client, login_as, push, db):
    referral = push()
    assert referral.state == "offered"
    login_as("supervisor")
    row = row_of(client.get("/queue").get_data(as_text=True), referral.id)
    assert ">I have it<span class=\"visually-hidden\">: " + referral.reference + "</span></button>" in row
    fields = form_fields(row)
    assert fields["event"] == "accept" and fields["version"] == str(referral.version) and fields["csrf_token"]
    action = html.unescape(re.search(r'<form method="post" action="([^"]+)"', row).group(1))
    response = client.post(action, data=fields)
    assert response.status_code == 302 and response.headers["Location"].endswith("/queue#lane-push-title")
    database.session.expire_all()
    assert database.session.get(Referral, referral.id).state == "accepted"
    row = row_of(client.get("/queue").get_data(as_text=True), referral.id)
    assert "I have it" not in row and "Taken" in row and "push-countdown" not in row
    # Pressed twice (a second supervisor's page, not yet updated): refused, saying why, never a second accept.
    again = client.post(action, data=fields, follow_redirects=True).get_data(as_text=True)
    assert "changed by someone else just before you" in again
    assert [e.event for e in database.session.get(Referral, referral.id).history].count("accept") == 1


def test_i_have_it_needs_the_viewer_s_token(client, login_as, push, db):
    referral = push()
    login_as("supervisor")
    row = row_of(client.get("/queue").get_data(as_text=True), referral.id)
    fields = {**form_fields(row), "csrf_token": "forged"}
    action = html.unescape(re.search(r'<form method="post" action="([^"]+)"', row).group(1))
    assert client.post(action, data=fields).status_code == 400
    database.session.expire_all()
    assert database.session.get(Referral, referral.id).state == "offered"


def test_the_lane_is_live_a_new_call_arrives_and_its_row_follows_an_accept(supervisor_stream, push, db):
    stream = supervisor_stream()
    stream.wait_for(lambda n, d: n == "snapshot")
    referral = push(case_number="AMB-77")
    referral_id, version = referral.id, referral.version
    database.session.remove()
    _, change = stream.wait_for(lambda n, d: n == "row" and d["id"] == str(referral_id))
    assert change["lane"] == "push"
    assert "data-breach-at=" in change["html"] and "AMB-77" in change["html"] and "I have it" in change["html"]
    # Rendered once for every page: no one's token in it (each page's script puts its own in).
    assert 'name="csrf_token" value=""' in change["html"]
    apply_event(database.session.get(Referral, referral_id), "accept", SUPERVISOR, expected_version=version)
    database.session.remove()
    _, change = stream.wait_for(lambda n, d: n == "row" and d["id"] == str(referral_id) and "Taken" in d["html"])
    assert change["lane"] == "push" and "I have it" not in change["html"]


def test_the_snapshot_has_the_lane(supervisor_stream, push, db):
    referral = push()
    database.session.remove()
    _, snapshot = supervisor_stream().wait_for(lambda n, d: n == "snapshot")
    assert f'id="row-{referral.id}"' in snapshot["lanes"]["push"]
    assert str(referral.id) not in snapshot["lanes"]["main"]


# ---------------------------------------------------------------- the referral page
def test_the_referral_page_lists_every_message_exchanged(client, login_as, post, ambulance, push, db):
    from .push_messages import change_of

    message = pushed_call(breach=(now() + timedelta(minutes=20)).replace(microsecond=0).isoformat(),
                          case_number="AMB-9090")
    first = str(uuid.uuid4())
    assert post(message, token=ambulance[1], request_id=first).status_code == 200
    referral = database.session.scalars(database.select(Referral)).one()
    update = change_of(message, last_updated="2026-11-30T09:20:00+00:00", priority="urgent")
    assert post(update, token=ambulance[1]).status_code == 200
    stale = change_of(message, last_updated="2026-11-30T09:10:00+00:00")
    assert post(stale, token=ambulance[1]).status_code in (200, 409)
    apply_event(database.session.get(Referral, referral.id), "accept", SUPERVISOR)
    login_as("supervisor")
    page = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    section = page[page.index('id="messages-title"'):page.index("</section>", page.index('id="messages-title"'))]
    assert "Messages with the ambulance service" in section
    assert "Sending system: ambulance-cad." in section and "<strong>AMB-9090</strong>" in section
    rows = re.findall(r'<tr class="message message--(\w+)">(.*?)</tr>', section, re.S)
    assert [kind for kind, _ in rows] == ["received"] * 3
    assert "Request (new)" in rows[0][1] and "version 1" in rows[0][1] and first in rows[0][1]
    assert "Update" in rows[1][1] and "version 2" in rows[1][1]
    assert "changed nothing" in rows[2][1]
    # No BaRS endpoint is registered for the ambulance service: nothing was sent, and the
    # timeline says so of the accept.
    assert "SPOA has sent the sender nothing" in section
    timeline = page[page.index('class="timeline"'):]
    assert "sender not told: no BaRS endpoint registered for the sending system" in timeline


def test_what_spoa_sent_the_ambulance_service_is_listed_with_its_delivery(client, login_as, post, ambulance, db):
    from spoa.models import Notification
    from spoa.notifications.fhir_endpoints import register_fhir_endpoint

    register_fhir_endpoint(client="ambulance-cad", endpoint="https://fhir.nhs.uk/Id/dos-service-id|3333333333",
                           base_url="https://ambulance.example/fhir", by=None)
    database.session.commit()
    message = pushed_call(breach=(now() + timedelta(minutes=20)).replace(microsecond=0).isoformat())
    assert post(message, token=ambulance[1]).status_code == 200
    referral = database.session.scalars(database.select(Referral)).one()
    apply_event(referral, "accept", SUPERVISOR)
    sent = database.session.scalars(database.select(Notification).where(Notification.referral_id == referral.id,
                                                                        Notification.channel == "bars")).one()
    login_as("supervisor")
    page = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    section = page[page.index('id="messages-title"'):page.index("</section>", page.index('id="messages-title"'))]
    rows = re.findall(r'<tr class="message message--(\w+)">(.*?)</tr>', section, re.S)
    assert [kind for kind, _ in rows] == ["received", "sent"]
    assert "BaRS message: taken: accepted by urgent community response" in rows[1][1] and "queued" in rows[1][1]
    assert sent.payload["bars"]["request_id"] in rows[1][1]
    assert "SPOA has sent the sender nothing" not in section
    # Delivered: the page says when (UK time).
    sent = database.session.get(Notification, sent.id)
    sent.status, sent.delivered_at, sent.attempts = "delivered", now(), 1
    database.session.commit()
    page = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert re.search(r"BaRS message: taken: accepted by urgent community response</td>"
                     r"<td>delivered \d\d:\d\d</td>", page)


def test_a_breach_time_on_another_day_is_the_full_uk_time_once():
    from types import SimpleNamespace as Row

    from spoa.live.row_html import breach_cell
    from spoa.platform.timekeeping import uk_date

    at = now()
    later = Row(breach_at=at + timedelta(days=3), taken=False)
    ctx = Row(at=at, today=uk_date(at))
    words = re.search(r"<time [^>]*>([^<]+)</time>", breach_cell(later, ctx)).group(1)
    assert re.fullmatch(r"\w{3} \d{1,2} \w{3} \d{4} \d\d:\d\d (GMT|BST)", words), words
    soon = Row(breach_at=at + timedelta(minutes=3), taken=True)
    assert re.search(r"<time [^>]*>\d\d:\d\d (today|tomorrow) \((GMT|BST)\)</time><br>Taken</td>",
                     breach_cell(soon, ctx))
