"""A callback that accepts TCP and never answers costs a delivery pass its
timeout and nothing else: intake and events go on meanwhile, the attempt is
recorded, and the timeline says the sending is being retried."""
import socket
import threading
import time

import pytest
from sqlalchemy import select

from spoa.extensions import db as database
from spoa.models import Notification
from tests.support.fixtures.outcomes import outcome_rows, told

# Long enough that intake and an event (TIMEOUT / 2 below) fit in it on a busy machine.
TIMEOUT = 1.0


@pytest.fixture
def black_hole():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(64)  # the kernel completes the handshake; nobody ever answers
    yield f"http://127.0.0.1:{s.getsockname()[1]}/outcomes"
    s.close()


def _wait_until_sending(timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with database.engine.connect() as conn:
            if conn.execute(select(Notification.id).where(Notification.status == "sending")).first():
                return
        time.sleep(0.02)
    raise AssertionError("the delivery pass never claimed the outcome")


@pytest.mark.slow
def test_intake_and_events_are_unaffected_by_a_dead_callback(app, black_hole, make_sender, post, fire, crisis_team):
    from spoa.notifications.delivery import deliver_due

    app.config["DELIVERY_TIMEOUT_SECONDS"], saved = TIMEOUT, app.config["DELIVERY_TIMEOUT_SECONDS"]
    try:
        _, headers, _ = make_sender(callback_url=black_hole)
        first = post(headers)
        fire(crisis_team, first, "accept")
        database.session.remove()
        started = threading.Event()

        def worker():
            with app.app_context():
                started.set()
                deliver_due()
                database.session.remove()

        pass_ = threading.Thread(target=worker)
        pass_.start()
        started.wait()
        _wait_until_sending()  # the pass is waiting on the dead callback now
        t0 = time.monotonic()
        second = post(headers)
        fire(crisis_team, second, "accept")
        took = time.monotonic() - t0
        pass_.join()
        assert took < TIMEOUT / 2, took  # intake and the event did not wait for the callback
        rows = outcome_rows()
        assert len(rows) == 2
        hung = next(r for r in rows if str(r.referral_id) == first["id"])
        assert (hung.status, hung.attempts) == ("pending", 1) and "timed out" in hung.last_error.lower()
        assert told(first["id"]) == [("accept", "sending failed, retrying")]
    finally:
        app.config["DELIVERY_TIMEOUT_SECONDS"] = saved
