"""An open live-queue stream re-checks its user (issue 10, point 9): a supervisor
deactivated or demoted while the page is open stops receiving the county's queue
within the re-check interval (60 s in production; a fraction of a second here)."""
import time

import pytest

from spoa.models import User

from .conftest import PASSWORD
from .test_queue import EventStream, signed_in_session


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
        stream.response.close()  # ended by the server, or closed here: the reader thread stops either way


def change_user(db, user_id, **fields):
    user = db.session.get(User, user_id)
    for name, value in fields.items():
        setattr(user, name, value)
    db.session.commit()
    db.session.remove()


@pytest.mark.parametrize("change", [{"is_active": False}, {"role": "call_handler"}],
                         ids=["deactivated", "demoted"])
def test_the_stream_closes_for_a_user_who_lost_the_right_to_it(open_stream, db, live_server, change):
    start, user_id = open_stream
    session, stream = start()
    time.sleep(1.0)  # several re-checks while still a supervisor: the stream stays open
    assert not any(name == "closed" for name, _ in stream.events)
    change_user(db, user_id, **change)
    _, closed = stream.wait_for(lambda n, d: n == "closed", timeout=3.0)
    assert "reload" in closed["reason"]
    # The page's reconnect gets no stream either (a 403, or sign-in for a deactivated user).
    again = session.get(f"{live_server}/queue/events", stream=True, timeout=5, allow_redirects=False)
    assert again.status_code in (302, 403) and "event-stream" not in again.headers.get("Content-Type", "")
    again.close()


def test_the_check_is_the_user_loaders(app, db):
    """stream_still_allowed re-loads the user as a request would (Flask-Login's user loader)."""
    from spoa.web.queue import stream_still_allowed

    user = User(username="sam", role="supervisor")
    user.set_password(PASSWORD)
    db.session.add(user)
    db.session.commit()
    user_id = str(user.id)
    with app.test_request_context():
        assert stream_still_allowed(user_id)
        change_user(db, int(user_id), role="clinician")
        assert not stream_still_allowed(user_id)
        assert not stream_still_allowed("999999")
