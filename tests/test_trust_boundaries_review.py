"""The trust boundaries read from outside, as a checker tries them: the forms the
other tests do not (a BaRS message in XML naming another client's endpoint, the
address forms an attacker reaches for, a policy upload that is small on disk and
huge once read, looking patients up by saving the form)."""
import html
import io
import ipaddress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from spoa.extensions import db as database
from spoa.models import AuditEvent, FhirMessage, Notification, Referral
from spoa.platform import outbound
from spoa.platform.outbound.policy import Policy, url_refusal
from tests.support.data.replay_data import SINCE, UNTIL
from tests.support.fixtures.bars import (
    SENDER_ID,
    falls_referral,
    send_message,
)
from tests.support.servers import serve_in_background
from tests.support.signing_in import csrf_token

# ------------------------------------------------------------------ 1. endpoints belong to clients

@pytest.mark.usefixtures("dos_ids")
def test_an_xml_message_naming_another_clients_endpoint_is_refused_in_xml_and_nothing_is_stored(
        client, registered, fhir_sender, fhir_client):
    _, intruder = fhir_client()
    database.session.expire_all()
    before = [database.session.query(m).count() for m in (Referral, FhirMessage, AuditEvent, Notification)]
    response, _ = send_message(client, falls_referral(SENDER_ID), intruder, fmt="application/fhir+xml")
    body = response.get_data(as_text=True)
    assert response.status_code == 403, body
    [issue] = response.get_json()["issue"]
    assert issue["code"] == "forbidden" and issue["details"]["coding"][0]["code"] == "REC_FORBIDDEN"
    assert fhir_sender[0] not in body and registered.base_url not in body
    database.session.expire_all()
    assert [database.session.query(m).count() for m in (Referral, FhirMessage, AuditEvent, Notification)] == before


# ------------------------------------------------------------------ 4. outbound addresses

@pytest.mark.parametrize("url, why", [
    ("http://[::ffff:169.254.169.254]/", "link-local"),
    ("https://[0:0:0:0:0:ffff:127.0.0.1]/", "loopback"),
    ("https://0X7F000001/", "in disguise"),
    ("https://0x7F.1/", "in disguise"),
    ("https://127.000.000.001/", "in disguise"),
    ("https://[fe80::1%25eth0]/", "link-local"),
    ("https://[::1%25lo]/", "loopback"),
    ("https://good.example@127.0.0.1/", "loopback"),
    ("https://127.0.0.1./", "loopback"),
    ("https://LOCALHOST./", "loopback"),
    ("https://[64:ff9b::a9fe:a9fe]/", "link-local"),
    ("https://[2002:a9fe:a9fe::]/", "link-local"),
    ("https://[fec0::1]/", "site-local"),
])
def test_address_forms_a_checker_reaches_for_are_refused(url, why):
    refused = url_refusal(url, Policy(()))
    assert refused is not None and why in refused


def test_a_site_local_address_is_refused_at_connect_time_too():
    assert Policy(()).refusal(ipaddress.ip_address("fec0::1")) is not None
    assert Policy((ipaddress.ip_network("fec0::/10"),)).refusal(ipaddress.ip_address("fec0::1")) is None


@pytest.mark.parametrize("status", [307, 308])
def test_a_307_or_308_is_answered_as_it_is_and_never_followed(status):
    """Unlike 301-303, a 307 or 308 tells a client to POST the same body again to the new place."""
    hits = []

    class Internal(BaseHTTPRequestHandler):
        def do_POST(self):
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    internal = ThreadingHTTPServer(("127.0.0.1", 0), Internal)

    class Redirecting(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(status)
            self.send_header("Location", f"http://127.0.0.1:{internal.server_address[1]}/internal")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    redirecting = ThreadingHTTPServer(("127.0.0.1", 0), Redirecting)
    for server in (internal, redirecting):
        serve_in_background(server)
    try:
        answer = outbound.post(f"http://127.0.0.1:{redirecting.server_address[1]}/hook", b"{}",
                               {"Content-Type": "application/json"}, 5, Policy((ipaddress.ip_network("127.0.0.0/8"),)))
        assert answer[0] == status and hits == []
    finally:
        for server in (internal, redirecting):
            server.shutdown()
            server.server_close()


# ------------------------------------------------------------------ 10. replay uploads of any shape

def laughs(levels: int) -> bytes:
    """A routing.yaml of a few hundred bytes whose aliases stand for 10**levels values,
    with a mistake after them (a list name in capitals) for the page to find a line for."""
    lines = ["rules:", "- &l0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"- &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, levels)]
    return ("\n".join(lines + ["lists:", "  Bad: []"]) + "\n").encode()


def test_a_policy_upload_whose_aliases_expand_to_millions_is_a_400_beside_its_field(client, login_as, db):
    login_as("admin")
    response = client.post("/admin/rules/replay", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(client, "/admin/rules/replay"), "since": SINCE, "until": UNTIL,
        "file-routing": (io.BytesIO(laughs(8)), "routing.yaml")})
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert 'id="file-routing-error">Error: routing.yaml: too large once its aliases (*name) are expanded' in page


def test_aliases_that_stay_small_still_load(tmp_path):
    from rules.errors import read_yaml

    assert read_yaml("routing.yaml", b"a: &x [1, 2]\nb: *x\n") == {"a": [1, 2], "b": [1, 2]}


# ------------------------------------------------------------------ 6. look-ups by NHS number

def test_past_the_allowance_saving_the_form_answers_who_has_an_open_referral_only_by_storing_one(
        app, client, login_as, db, monkeypatch):
    """Save is never refused, but past the hour's allowance it must not be a free look-up: a
    Save that stops at the duplicate panel (stores nothing), or one whose referrer's reference
    clashes with an earlier referral's (409, stores nothing), would answer number after number."""
    from tests.support.data.referral_form import GOOD, nhs_numbers, post_form, preview

    monkeypatch.setitem(app.config, "DUPLICATE_LOOKUPS_PER_HOUR", 1)
    login_as("call_handler", username="first")
    assert post_form(client, {**GOOD, "source_reference": "GP-1"}).status_code == 302  # GOOD's patient: open
    reference = db.session.query(Referral).one().reference
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login_as("call_handler", username="walker")
    other, unknown = nhs_numbers(2)
    assert preview(client, {**GOOD, "patient.nhs_number": other}).status_code == 200  # the hour's one look-up
    stored = db.session.query(Referral).count()

    hit = post_form(client, {**GOOD, "patient.given_name": "Augusta"})  # an open referral's patient
    assert reference not in hit.get_data(as_text=True)
    assert hit.status_code == 302 and db.session.query(Referral).count() == stored + 1  # stored, and only then warned
    page = html.unescape(client.get(hit.headers["Location"]).get_data(as_text=True))
    assert f"This patient already has an open referral ({reference})" in page

    clash = post_form(client, {**GOOD, "patient.nhs_number": unknown, "source_reference": "GP-1"})
    assert clash.status_code == 409  # the referrer's reference is another referral's: nothing stored
    assert 'class="duplicate__title"' not in clash.get_data(as_text=True)
