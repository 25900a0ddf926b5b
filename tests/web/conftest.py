"""The web tests' shared fixtures: a referral posted at a chosen time, a supervisor's open
live-queue stream, a second browser; and inline_scripts for the CSP checks."""
import re

import pytest

from spoa.platform.timekeeping import now
from tests.support.people import PASSWORD
from tests.support.signing_in import other_browser, signed_in_session
from tests.support.sse import EventStream


def inline_scripts(page: str) -> list[str]:
    """<script> elements with code in the page (the CSP allows only files: script-src 'self')."""
    return re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page)


@pytest.fixture
def post(frozen_now, client, sender, payload):
    """post(at=None, **fields) -> the sender's answer for a referral posted with the clock at ``at``."""
    _, headers = sender

    def send(at=None, **fields):
        with frozen_now(at or now()):
            response = client.post("/api/v1/referrals", json=payload(**fields), headers=headers)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return send


@pytest.fixture
def supervisor_stream(live_server, db):
    """supervisor_stream() -> a new EventStream of /queue/events, signed in as supervisor sian."""
    from spoa.models import User

    user = User(username="sian", role="supervisor")
    user.set_password(PASSWORD)
    db.session.add(user)
    db.session.commit()
    db.session.remove()
    streams = []

    def open_stream():
        stream = EventStream(signed_in_session(live_server, "sian"), f"{live_server}/queue/events")
        streams.append(stream)
        return stream

    yield open_stream
    for stream in streams:
        stream.close()


@pytest.fixture
def browser(app, db, redis):
    """browser() -> a new person's own browser (a test client that shares nothing with the others)."""
    return lambda: other_browser(app)


@pytest.fixture
def admin(login_as):
    """An administrator, signed in on ``client``."""
    return login_as("admin")
