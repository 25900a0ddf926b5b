"""A BaRS sender for the outcome tests: its FHIR API (a real HTTP server on the
loopback, BarsReceiver), its API client, its endpoint registered with the CLI as
an administrator registers it, and referrals it posts over FHIR."""
import json
import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fhir.resources.R4B.bundle import Bundle

from spoa.extensions import db as database
from spoa.models import Referral
from tests.fhir.conftest import SPOA_DOS_ID, own_message, to_xml
from tests.servers import serve_in_background

SENDER_ID = "https://fhir.nhs.uk/Id/dos-service-id|2222222222"
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class BarsReceiver:
    """A BaRS sender's FHIR API: what reached its $process-message, (path, headers, body) each
    POST; ``answers`` are (status, body) it gives in turn (then 200 with an OperationOutcome)."""

    def __init__(self):
        self.received, self.answers, self.lock = [], [], threading.Lock()

    def handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.received.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                    status, answer = receiver.answers.pop(0) if receiver.answers else (200, {
                        "resourceType": "OperationOutcome",
                        "issue": [{"severity": "information", "code": "informational"}]})
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/fhir+json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        return Handler

    def bundles(self) -> list:
        return [Bundle.model_validate_json(body) for _, _, body in self.received]


def resources(bundle, kind):
    return [e.resource for e in bundle.entry if e.resource.get_resource_type() == kind]


@pytest.fixture
def make_receiver(db):
    """make_receiver() -> a BaRS sender's FHIR API listening on the loopback (base_url: its FHIR base)."""
    servers = []

    def make():
        found = BarsReceiver()
        server = ThreadingHTTPServer(("127.0.0.1", 0), found.handler())
        serve_in_background(server)
        servers.append(server)
        found.base_url = f"http://127.0.0.1:{server.server_address[1]}/fhir"
        return found

    yield make
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def receiver(make_receiver):
    return make_receiver()


@pytest.fixture
def dos_ids(app, monkeypatch):
    monkeypatch.setitem(app.config, "SPOA_DOS_SERVICE_IDS", (SPOA_DOS_ID,))


@pytest.fixture
def cli(app, db):
    return app.test_cli_runner()


@pytest.fixture
def register(cli):
    def add(endpoint, url, client):
        result = cli.invoke(args=["spoa", "add-fhir-endpoint", "--client", client, "--endpoint", endpoint,
                                  "--url", url])
        database.session.remove()
        return result

    return add


@pytest.fixture
def fhir_client(db):
    """fhir_client(callback_url=None) -> (its name, bearer headers) of a 111 system posting FHIR (one source,
    as FHIR needs)."""
    from spoa.services.api_clients import create_api_client

    def make(callback_url=None):
        row, token, _ = create_api_client(name=f"nhs111-{uuid.uuid4().hex[:8]}", sources=["nhs111"], service=None,
                                          rate_limit_per_minute=None, by=None, callback_url=callback_url)
        database.session.commit()
        return row.name, {"Authorization": f"Bearer {token}"}

    return make


@pytest.fixture
def fhir_sender(fhir_client):
    return fhir_client()


@pytest.fixture
def sender_token(fhir_sender):
    return fhir_sender[1]


@pytest.fixture
def registered(register, receiver, fhir_sender):
    """The sender's own endpoint, registered for its API client."""
    result = register(SENDER_ID, receiver.base_url, fhir_sender[0])
    assert result.exit_code == 0, result.output
    return receiver


def send_message(client, bundle, headers, fmt="application/fhir+json"):
    """POST a BaRS message as its sender does: (SPOA's answer, its two headers)."""
    ids = {"X-Request-ID": str(uuid.uuid4()), "X-Correlation-ID": str(uuid.uuid4())}
    data = to_xml(bundle) if fmt.endswith("xml") else json.dumps(bundle).encode()
    response = client.post("/fhir/$process-message", data=data, headers={
        **headers, "Content-Type": fmt, "Accept": "application/fhir+json", **ids})
    return response, ids


@pytest.fixture
def post_fhir(client, sender_token):
    """post_fhir(bundle, headers=...) -> (the referral as fire() takes it, the message, its two headers)."""

    def send(bundle, headers=None, fmt="application/fhir+json"):
        response, ids = send_message(client, bundle, headers or sender_token, fmt)
        assert response.status_code == 200, response.get_data(as_text=True)
        reference = response.get_json()["issue"][0]["details"]["coding"][0]["code"]
        row = database.session.scalars(database.select(Referral).where(Referral.reference == reference)).one()
        assert row.route == "crisis_response" and row.state == "offered"
        return {"id": str(row.id), "reference": reference}, bundle, ids

    return send


def falls_referral(source_endpoint=SENDER_ID) -> dict:
    """A 111 referral of our own that the rules offer to crisis response (a fall at home)."""
    bundle = own_message(conditions=[("1912002", "Fell at home")])
    bundle["entry"][0]["resource"]["source"]["endpoint"] = source_endpoint
    return bundle
