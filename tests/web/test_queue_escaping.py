"""Markup in names reaches staff pages as text: the queue's rows are f-strings
(spoa/live/row_html.py), so nothing but its one escaping helper stands between a
sender's or an administrator's text and a supervisor's browser. Asserted on the
HTML as sent, never after unescaping it."""
import shutil
import uuid

import pytest

from rules.loader import load_policy
from spoa.models import Referral
from tests.support.data.duty_data import add_org
from tests.support.pages import rows_in
from tests.support.signing_in import signed_in_session

HOSTILE = "<img src=x onerror=alert(1)>"
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"


@pytest.fixture
def hostile_referral(client, sender, payload):
    """post() -> a referral whose patient and referrer are named in markup, for the
    voluntary sector (social support): offered to the organisation on duty."""
    _, headers = sender

    def post():
        body = payload(presenting_need="social_support")
        body["patient"] = {**body["patient"], "given_name": HOSTILE, "family_name": HOSTILE + "'\""}
        body["referrer"] = {**body["referrer"], "name": HOSTILE}
        response = client.post("/api/v1/referrals", json=body, headers=headers)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return post


def test_names_in_markup_are_escaped_in_the_queue_its_live_updates_and_the_referral_page(
        live_server, supervisor_stream, hostile_referral, db):
    add_org(db, "good_neighbours", name=HOSTILE, total=3)
    first = hostile_referral()
    assert first["assigned_service"] == "good_neighbours"
    db.session.remove()
    session = signed_in_session(live_server, "sian")

    page = session.get(f"{live_server}/queue").text
    assert HOSTILE not in page and "<img" not in page
    row = page[page.index(f'id="row-{first["id"]}"'):]
    row = row[:row.index("</tr>")]
    assert f"{ESCAPED}</td>" in row  # the organisation it is offered to, beside the route
    capacity = page[page.index('id="capacity"'):]
    assert f">{ESCAPED}</a>" in capacity  # the organisation's line on the capacity board

    stream = supervisor_stream()
    _, snapshot = stream.wait_for(lambda n, d: n == "snapshot")
    assert ESCAPED in snapshot["lanes"]["main"] and ESCAPED in snapshot["capacity"]
    second = hostile_referral()  # a live change: its row, and the board (a place was taken)
    db.session.remove()
    _, change = stream.wait_for(lambda n, d: n == "row" and d["id"] == second["id"])
    assert ESCAPED in change["html"] and "<img" not in change["html"]
    _, board = stream.wait_for(lambda n, d: n == "capacity")
    assert ESCAPED in board["html"] and "<img" not in board["html"]
    for _, data in stream.events:
        assert HOSTILE not in str(data)

    # Where the patient's names are shown: the referral page (Jinja escapes; pinned all the same).
    referral_page = session.get(f"{live_server}/referrals/{first['id']}").text
    assert f"{ESCAPED} {ESCAPED}&#39;&#34;" in referral_page
    assert HOSTILE not in referral_page and "<img" not in referral_page


def test_a_waiting_flag_shows_its_label_from_flags_yaml(app, client, login_as, sender, payload, db, tmp_path,
                                                       monkeypatch):
    """A flag added to flags.yaml shows on the queue, under its own label (no label is written in code)."""
    rules = tmp_path / "policy"
    shutil.copytree(app.extensions["spoa_policy"].directory, rules)
    flags = rules / "flags.yaml"
    flags.write_text(flags.read_text() + """
  - id: waiting-for-package
    when: 'route == "reablement" and capacity_free == 0'
    flag: package
    label: Waiting for a care package
    explanation: "No reablement package is free today."
""")
    monkeypatch.setitem(app.extensions, "spoa_policy", load_policy(rules))
    _, headers = sender
    created = client.post("/api/v1/referrals", json=payload(), headers=headers).get_json()
    referral = db.session.get(Referral, uuid.UUID(created["id"]))
    referral.waiting_for = "package"
    db.session.commit()
    login_as("supervisor")
    page = client.get("/queue")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert rows_in(text, "main") == [created["id"]]
    assert '<strong class="tag tag--alert">Waiting for a care package</strong>' in text
