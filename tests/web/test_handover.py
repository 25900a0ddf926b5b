"""The handover page (/handover): what an incoming supervisor takes on for their shift."""
import html
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from spoa.models import Referral
from spoa.notifications import chasing, notifying
from spoa.platform.timekeeping import format_uk
from tests.support.data.rota_data import on_duty
from tests.support.signing_in import csrf_token
from tests.support.statements import statements

pytestmark = pytest.mark.both_databases

T0 = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)  # 18:00 Tue 1 Dec, UK time too (GMT)


@pytest.fixture
def world(frozen_now, client, sender, payload):
    """Sent at T0 and the clock then frozen at T0 (every test moves it on): post(at) -> the referral."""
    _, headers = sender
    clock = frozen_now(T0)

    def post(at=T0, **fields):
        clock.move_to(at)
        response = client.post("/api/v1/referrals", json=payload(**fields), headers=headers)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    post.move_to = clock.move_to
    return post


def breach(db, referral_id, at):
    """What the reconciler records by ``at`` (warnings, the breach, escalations)."""
    referral = db.session.get(Referral, uuid.UUID(referral_id))
    chasing.catch_up(referral, at)
    db.session.commit()
    return referral


def page_text(client, query=""):
    response = client.get(f"/handover{query}")
    return response.status_code, html.unescape(response.get_data(as_text=True))


def section(page, name):
    body = page[page.index(f'id="{name}"'):]
    return body[:body.index("</section>")]


def test_the_window_is_the_supervisors_own_shift(client, world, login_as, db):
    sam = login_as("supervisor", username="sam")
    start, end = T0 + timedelta(hours=2), T0 + timedelta(hours=14)  # 20:00 to 08:00, starting within 12 h
    on_duty(db, "spoa_supervisor", sam, start, end)
    status, page = page_text(client)
    assert status == 200
    assert f"Handover for {format_uk(start)} to {format_uk(end)} (your shift as SPOA supervisor)" in page
    assert f"produced {format_uk(T0)}" in page


def test_without_a_shift_the_window_is_the_next_12_hours(client, world, login_as, db):
    sam = login_as("supervisor", username="sam")
    # Too far ahead to be this handover.
    on_duty(db, "spoa_supervisor", sam, T0 + timedelta(hours=13), T0 + timedelta(hours=20))
    _, page = page_text(client)
    assert f"Handover for {format_uk(T0)} to {format_uk(T0 + timedelta(hours=12))}," in page


def test_an_explicit_window_in_uk_time(client, world, login_as):
    login_as("supervisor")
    status, page = page_text(client, "?start=01/12/2026 20:00&end=2026-12-02T08:00")
    assert status == 200
    assert "Handover for Tue 1 Dec 2026 20:00 GMT to Wed 2 Dec 2026 08:00 GMT" in page


@pytest.mark.parametrize("query, message", [
    ("?start=tomorrow&end=2026-12-02T08:00", "Enter the start as day/month/year and a time"),
    ("?start=2026-12-02T08:00&end=2026-12-01T20:00", "The end must be after the start"),
    ("?start=2026-12-01T08:00&end=2026-12-02T20:00", "A handover covers at most 24 hours"),
    ("?start=2026-12-01T08:00", "Enter the end as well"),
    ("?start=2027-03-28T01:30&end=2027-03-28T08:00", "does not exist in the UK"),
    ("?start=2026-10-25T01:30&end=2026-10-25T08:00", "happens twice"),
])
def test_a_bad_window_is_refused_beside_its_field(client, world, login_as, query, message):
    login_as("supervisor")
    status, page = page_text(client, query)
    assert status == 422
    assert re.search(r'class="error-message" id="(start|end)-error">Error: [^<]*' + re.escape(message), page)
    assert "Breached clocks" not in page


def test_a_breached_clock_acknowledged_by_sam_says_so(client, world, login_as, db):
    body = world()
    breach(db, body["id"], T0 + timedelta(hours=2, seconds=1))  # the 2-hour first contact breached
    world.move_to(T0 + timedelta(hours=3))
    login_as("supervisor", username="sam")
    referral_page = f"/referrals/{body['id']}"
    response = client.post(f"{referral_page}/events", data={
        "event": "acknowledge_escalation", "csrf_token": csrf_token(client, referral_page), "next": referral_page})
    assert response.status_code == 302
    _, page = page_text(client)
    breached = section(page, "breached")
    assert body["reference"] in breached and f'href="{referral_page}"' in breached
    assert "first contact" in breached and "acknowledged by sam" in breached.lower()


def test_an_unacknowledged_breach_says_so_and_its_escalation_level(client, world, login_as, db):
    body = world()
    breach(db, body["id"], T0 + timedelta(hours=3))
    world.move_to(T0 + timedelta(hours=3))
    login_as("supervisor")
    _, page = page_text(client)
    breached = section(page, "breached")
    assert body["reference"] in breached and "Not acknowledged" in breached
    assert "Breached clocks <span class=\"handover-count\">(1)</span>" in page


def test_clocks_due_in_the_window_soonest_first_and_none_after_it(client, world, login_as):
    later = world(T0 - timedelta(minutes=30))   # first contact due 19:30
    sooner = world(T0 - timedelta(minutes=90))  # due 18:30
    login_as("supervisor")
    _, page = page_text(client, "?start=2026-12-01T18:00&end=2026-12-01T19:45")
    due = section(page, "due")
    assert due.index(sooner["reference"]) < due.index(later["reference"])
    _, page = page_text(client, "?start=2026-12-01T18:00&end=2026-12-01T19:00")
    assert sooner["reference"] in section(page, "due") and later["reference"] not in section(page, "due")


def test_closed_referrals_are_not_listed(client, world, login_as, db):
    done = world()
    breach(db, done["id"], T0 + timedelta(hours=3))
    world.move_to(T0 + timedelta(hours=3))
    login_as("supervisor")
    client.post(f"/referrals/{done['id']}/events", data={
        "event": "cancel", "reason": "Duplicate of a phone referral", "version": str(
            db.session.get(Referral, uuid.UUID(done["id"])).version),
        "csrf_token": csrf_token(client, "/queue"), "next": "/queue"})
    db.session.expire_all()
    assert db.session.get(Referral, uuid.UUID(done["id"])).state == "cancelled"
    _, page = page_text(client, "?start=2026-12-01T18:00&end=2026-12-02T08:00")
    assert "Handover for" in page
    assert all(done["reference"] not in section(page, name) for name in ("breached", "due", "alerts"))


def test_open_alerts_are_listed_until_someone_takes_them(client, world, login_as, db):
    body = world()
    referral = db.session.get(Referral, uuid.UUID(body["id"]))
    [note] = [n for n in notifying.alert(referral, "spoa_supervisor", f"{body['reference']}: waiting for a bed",
                                       "waiting_for_bed", T0) if n.channel == "in_app"]
    db.session.commit()
    login_as("supervisor")
    _, page = page_text(client)
    alerts = section(page, "alerts")
    assert body["reference"] in alerts and "waiting for a bed" in alerts and "(1)" in alerts
    note.taken_at = T0  # "I have it"
    db.session.commit()
    _, page = page_text(client)
    assert body["reference"] not in section(page, "alerts")


def test_who_is_on_duty_and_where_nobody_is(client, world, login_as, db):
    sam = login_as("supervisor", username="sam")
    on_duty(db, "spoa_supervisor", sam, T0 - timedelta(hours=10), T0 + timedelta(hours=2))  # until 20:00, then nobody
    nina = login_as("supervisor", username="nina")
    on_duty(db, "spoa_supervisor", nina, T0 + timedelta(hours=4), T0 + timedelta(hours=16))  # from 22:00
    _, page = page_text(client, "?start=2026-12-01T18:00&end=2026-12-02T06:00")
    duties = section(page, "duties")
    rows = [re.sub(r"<[^>]+>|\s+", " ", "<tr" + row) for row in duties.split("<tr")[2:]]
    supervisor = [" ".join(r.split()) for r in rows if r.split()[:2] == ["SPOA", "supervisor"]]
    assert supervisor[0].startswith("SPOA supervisor Tue 1 Dec 2026 18:00 GMT Tue 1 Dec 2026 20:00 GMT sam")
    assert ("Nobody on duty as SPOA supervisor from Tue 1 Dec 2026 20:00 GMT to Tue 1 Dec 2026 22:00 GMT"
            in supervisor[1])
    assert supervisor[2].endswith("Tue 1 Dec 2026 22:00 GMT Wed 2 Dec 2026 06:00 GMT nina")
    assert "Nobody on duty as On-call manager from Tue 1 Dec 2026 18:00 GMT" in duties
    assert re.search(r"Nobody on duty as Crisis response[^<]* duty lead from", duties)
    assert "Voluntary" not in duties  # the voluntary route's work is its on-duty organisations'


@pytest.mark.parametrize("role, service", [("clinician", "crisis_response"), ("call_handler", None),
                                           ("admin", None), ("manager", None)])
def test_only_supervisors_have_a_handover(client, world, login_as, role, service):
    login_as(role, service=service)
    assert client.get("/handover").status_code == client.get("/queue").status_code == 403


def test_the_page_is_a_few_queries_however_many_referrals(client, world, login_as, db):
    for minutes in range(0, 160, 20):  # 8 breached referrals
        body = world(T0 - timedelta(minutes=minutes))
        breach(db, body["id"], T0 + timedelta(hours=3))
    world.move_to(T0 + timedelta(hours=3))
    login_as("supervisor")
    with statements(db.engine) as seen:
        status, page = page_text(client)
    assert status == 200 and page.count("Not acknowledged") == 8
    # Sign-in checks, the shift, each list, the rota: about 6. A query a row would be 14 or more.
    assert len(seen) <= 10, seen


def test_the_print_stylesheet_hides_controls(client):
    css = client.get("/static/spoa.css").get_data(as_text=True)
    printing = css[css.index("@media print"):]
    assert ".header" in printing and "button" in printing and "form" in printing
    assert "break-inside: avoid" in printing and 'attr(href)' in printing


def test_the_print_button_and_links_to_the_page(client, world, login_as):
    login_as("supervisor")
    _, page = page_text(client)
    assert 'id="print-handover"' in page and "/static/handover.js" in page and "<script>" not in page
    assert 'href="/handover"' in client.get("/").get_data(as_text=True)
    assert 'href="/handover"' in client.get("/queue").get_data(as_text=True)
