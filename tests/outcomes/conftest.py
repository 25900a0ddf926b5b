"""A sending system with a callback (a real HTTP server on the loopback, in a
thread), referrals it posts, events fired on them, and delivery passes run as a
worker runs them."""
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from spoa.domain.actor import Actor
from spoa.extensions import db as database
from spoa.models import Notification, Referral
from tests.referral_data import full_view
from tests.servers import serve_in_background

from .bars import (  # noqa: F401 (BaRS fixtures)
    cli,
    dos_ids,
    fhir_client,
    fhir_sender,
    make_receiver,
    post_fhir,
    receiver,
    register,
    registered,
    sender_token,
)


class Callback:
    """What the sender's callback received: (headers, raw body) each POST; ``answers``
    are the statuses it gives in turn (then 200)."""

    def __init__(self):
        self.received, self.answers, self.lock = [], [], threading.Lock()

    def handler(self):
        callback = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with callback.lock:
                    callback.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                    status = callback.answers.pop(0) if callback.answers else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        return Handler

    def bodies(self):
        return [json.loads(body) for _, body in self.received]


@pytest.fixture
def callback(db):
    receiver = Callback()
    server = ThreadingHTTPServer(("127.0.0.1", 0), receiver.handler())
    serve_in_background(server)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/spoa-outcomes"
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture
def make_sender(db):
    """make_sender(callback_url=None) -> (client row, bearer headers, webhook secret or None),
    issued as the admin page and the CLI issue them."""
    from spoa.services.api_clients import create_api_client

    def make(callback_url=None):
        row, token, secret = create_api_client(name=f"emas-{uuid.uuid4().hex[:8]}", sources=["emas", "nhs111"],
                                               service=None, rate_limit_per_minute=None, by=None,
                                               callback_url=callback_url)
        database.session.commit()
        return row, {"Authorization": f"Bearer {token}"}, secret

    return make


@pytest.fixture
def crisis_team(make_api_client):
    _, token = make_api_client(sources=None, service="crisis_response")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def post(client, payload):
    """post(headers, **fields) -> the sender's answer (a crisis_response referral, offered)."""

    def send(headers, **fields):
        response = client.post("/api/v1/referrals", json=payload(**fields), headers=headers)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return send


@pytest.fixture
def fire(client):
    def fire_event(headers, referral, event, **body):
        response = client.post(f"/api/v1/referrals/{referral['id']}/events", json={"event": event, **body},
                               headers=headers)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    return fire_event


@pytest.fixture
def supervisor_does(db):
    """supervisor_does(referral, event, **options): a supervisor's event, through the same use case as the page."""
    from spoa.services.actions import apply_event

    def do(referral, event, **options):
        database.session.expire_all()
        row = database.session.get(Referral, uuid.UUID(referral["id"]))
        apply_event(row, event, Actor(kind="user", id=None, name="sam.supervisor", role="supervisor"), **options)

    return do


@pytest.fixture
def deliver(app):
    """deliver() -> attempts made: one delivery pass in its own session, as a worker runs it."""
    from spoa.notifications.delivery import deliver_due

    def run(**options):
        database.session.remove()
        done = deliver_due(**options)
        database.session.remove()
        return done

    return run


def outcome_rows():
    database.session.expire_all()
    return database.session.query(Notification).filter(Notification.audit_event_id.isnot(None)) \
        .order_by(Notification.id).all()


def told(referral_id) -> list:
    """The full view's history: (event, what the timeline says the sender was told), outcomes only."""
    return [(h["event"], h["sender_told"]) for h in full_view(referral_id)["history"] if h["sender_told"]]
