"""An open live-queue stream re-checks its user: a supervisor
deactivated or demoted while the page is open stops receiving the county's queue
within the re-check interval (60 s in production; a fraction of a second here)."""
import time

import pytest

from spoa.models import User
from tests.support.people import PASSWORD
from tests.support.signing_in import signed_in_session
from tests.support.sse import EventStream


@pytest.fixture
def open_stream(app, live_server, db, monkeypatch):
    monkeypatch.setitem(app.config, "STREAM_RECHECK_SECONDS", 0.3)
    user = User(username="sian", role="supervisor")
    user.set_password(PASSWORD)
    db.session.add(user)
    db.session.commit()
    user_id = user.id
    db.session.remove()
    streams = []

    def start():
        session = signed_in_session(live_server, "sian")
        stream = EventStream(session, f"{live_server}/queue/events")
        stream.wait_for(lambda n, d: n == "snapshot")
        streams.append(stream)
        return session, stream

    yield start, user_id
    for stream in streams:
        stream.close()  # ended by the server, or closed here: the reader thread stops either way


def change_user(db, user_id, **fields):
    user = db.session.get(User, user_id)
    for name, value in fields.items():
        setattr(user, name, value)
    db.session.commit()
    db.session.remove()


@pytest.mark.parametrize("change, said", [({"is_active": False}, "Your session has ended"),
                                          ({"role": "call_handler"}, "Your access has changed: reload the page.")],
                         ids=["deactivated", "demoted"])
def test_the_stream_closes_for_a_user_who_lost_the_right_to_it(open_stream, db, live_server, change, said):
    start, user_id = open_stream
    session, stream = start()
    time.sleep(1.0)  # several re-checks while still a supervisor: the stream stays open
    assert not any(name == "closed" for name, _ in stream.events)
    change_user(db, user_id, **change)
    _, closed = stream.wait_for(lambda n, d: n == "closed", timeout=3.0)
    assert closed["reason"].startswith(said)
    assert closed.get("signed_out", False) is ("is_active" in change)  # the page says so, with sign-in
    # The page's reconnect gets no stream either (a 403, or sign-in for a deactivated user).
    again = session.get(f"{live_server}/queue/events", stream=True, timeout=5, allow_redirects=False)
    assert again.status_code in (302, 403) and "event-stream" not in again.headers.get("Content-Type", "")
    again.close()


def test_the_stream_closes_when_its_user_signs_out_elsewhere(open_stream, db, live_server):
    """Signing out ends every session of that user (web/security.py), an open stream included."""
    start, user_id = open_stream
    _, stream = start()
    other, _ = start()
    page = other.get(f"{live_server}/queue", timeout=5).text
    import re

    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    assert other.post(f"{live_server}/logout", data={"csrf_token": token}, timeout=5).status_code == 200
    _, closed = stream.wait_for(lambda n, d: n == "closed", timeout=3.0)
    assert "session has ended" in closed["reason"]


def test_the_stream_closes_when_the_session_passes_its_idle_limit(open_stream, app, monkeypatch):
    """An open stream is not activity: a page left alone past the idle limit stops streaming."""
    start, _ = open_stream
    _, stream = start()
    time.sleep(0.5)
    assert not any(name == "closed" for name, _ in stream.events)
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", 0)
    stream.wait_for(lambda n, d: n == "closed", timeout=3.0)
