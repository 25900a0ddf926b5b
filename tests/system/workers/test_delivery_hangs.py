"""A dead far end costs a delivery pass its timeouts and nothing else: a
black-holed webhook and a silent SMTP host (both accept TCP and never answer)
while chasing and intake go on; each attempt counted; the retry limit ends it
and the supervisor is told, on the referral's page and in its JSON."""
import socket
import threading
import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from spoa.extensions import db as database
from spoa.models import Clock, DeliveryAttempt, Notification, NotificationChannel
from spoa.notifications.delivery import MAX_ATTEMPTS
from spoa.platform.timekeeping import now
from tests.support.data.referral_data import full_view

# The property is "one timeout, not more": a short one shows it as well as a long one.
TIMEOUT = 0.5


@pytest.fixture
def black_hole():
    """A port that completes the TCP handshake (the kernel's backlog) and then says nothing."""
    holes = []

    def make():
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(64)  # never accepted, never answered
        holes.append(s)
        return s.getsockname()[1]

    yield make
    for s in holes:
        s.close()


@pytest.fixture
def dead_ends(app, db, black_hole):
    """The duty lead's webhook black-holed and their email through a silent SMTP host."""
    webhook_port, smtp_port = black_hole(), black_hole()
    saved = {k: app.config[k] for k in ("SMTP_HOST", "SMTP_PORT", "DELIVERY_TIMEOUT_SECONDS")}
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_port, DELIVERY_TIMEOUT_SECONDS=TIMEOUT)
    database.session.add_all([
        NotificationChannel(recipient="service_duty_lead", channel="webhook",
                            target=f"http://127.0.0.1:{webhook_port}/hook"),
        NotificationChannel(recipient="service_duty_lead:crisis_response", channel="email",
                            target="duty.lead@example.nhs.uk")])
    database.session.commit()
    yield
    app.config.update(saved)


@pytest.fixture
def post_now(client, sender, payload):
    """post_now(deadline_in_seconds) -> (answer, seconds taken): a crisis referral, real time."""
    _, headers = sender

    def post(deadline_in):
        received = now() - timedelta(hours=2) + timedelta(seconds=deadline_in)
        started = time.monotonic()
        response = client.post("/api/v1/referrals", json=payload(received_at=received.isoformat()), headers=headers)
        took = time.monotonic() - started
        assert response.status_code == 201, response.get_json()
        database.session.remove()  # the test's session holds nothing (on SQLite, no lock)
        return response.get_json(), took

    return post


def _far_end_rows():
    database.session.remove()
    rows = database.session.scalars(select(Notification).where(Notification.channel != "in_app")).all()
    return rows


def _start_delivery(app):
    from workers.context import use_app
    from workers.jobs import deliver

    use_app(app)
    done = {}
    thread = threading.Thread(target=lambda: done.setdefault("n", deliver()), daemon=True)
    thread.start()
    return thread, done


def _wait_until_sending(timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with database.engine.connect() as conn:
            if conn.execute(select(Notification.id).where(Notification.status == "sending")).first():
                return
        time.sleep(0.05)
    raise AssertionError("the delivery pass never claimed anything")


def _wait_until_past(referral_id, timeout=30.0):
    """Until the referral's first-contact deadline has passed (real time)."""
    database.session.remove()
    [deadline] = database.session.execute(select(Clock.deadline).where(
        Clock.referral_id == uuid.UUID(referral_id), Clock.name == "first_contact")).one()
    database.session.remove()
    give_up = time.monotonic() + timeout
    while now() <= deadline:
        assert time.monotonic() < give_up, "the deadline never passed"
        time.sleep(0.05)


def test_a_hanging_delivery_holds_up_neither_chasing_nor_intake(app, dead_ends, post_now):
    from workers.jobs import reconcile

    post_now(-5)  # already breached: its duty lead's webhook and email are due now
    due_soon, _ = post_now(3)  # breaches in 3 s, while the deliveries hang
    # Both are sent at once: each must still be hanging when the reconciler runs below.
    app.config["DELIVERY_TIMEOUT_SECONDS"] = 6.0
    delivery, done = _start_delivery(app)
    _wait_until_sending()  # claimed and committed: the pass is now waiting on the far ends

    _, took = post_now(60 * 60)  # intake meanwhile
    assert took < 1.5, f"intake took {took:.2f} s during a hanging delivery"

    _wait_until_past(due_soon["id"])  # the clock's deadline, not a guess at it
    started = time.monotonic()
    result = reconcile()  # what the worker's ticker runs each second
    assert time.monotonic() - started < 2.0
    assert result["advanced"] >= 1
    database.session.remove()
    breached_at, deadline = database.session.execute(select(Clock.breached_at, Clock.deadline).where(
        Clock.referral_id == uuid.UUID(due_soon["id"]), Clock.name == "first_contact")).one()
    database.session.remove()  # (on SQLite even a read holds the write lock: BEGIN IMMEDIATE)
    assert breached_at is not None and (breached_at - deadline).total_seconds() <= 5.0
    assert delivery.is_alive(), "the deliveries should still be hanging (the test proves nothing otherwise)"

    delivery.join(60)
    rows = _far_end_rows()
    attempted = [n for n in rows if n.attempts]
    assert attempted and {n.channel for n in attempted} == {"webhook", "email"}
    for n in attempted:  # counted: each attempt kept, with what went wrong
        assert (n.status, n.attempts) == ("pending", 1)
        assert "timed out" in n.last_error.lower() or "timeout" in n.last_error.lower(), n.last_error
        assert n.next_attempt_at > now()
        assert [a.ok for a in n.delivery_attempts] == [False]


def test_a_pass_stops_at_its_budget_and_gives_back_what_it_did_not_try(app, dead_ends, post_now):
    post_now(-5)
    post_now(-5)
    saved = {k: app.config[k] for k in ("DELIVERY_BUDGET_SECONDS", "DELIVERY_CONCURRENCY")}
    # One send at a time: the second would begin after the budget is spent.
    app.config.update(DELIVERY_BUDGET_SECONDS=TIMEOUT / 2, DELIVERY_CONCURRENCY=1)
    try:
        delivery, _ = _start_delivery(app)
        delivery.join(30)
    finally:
        app.config.update(saved)
    rows = _far_end_rows()
    assert len(rows) >= 3
    tried = [n for n in rows if n.attempts]
    assert len(tried) == 1  # one timeout spends the budget
    assert all(n.status == "pending" and n.attempts == 0 and n.next_attempt_at <= now()
               for n in rows if n not in tried)


def test_a_claim_whose_worker_died_is_taken_again_after_its_lease(app, dead_ends, post_now):
    from spoa.notifications.delivery import deliver_due

    post_now(-5)
    database.session.remove()
    [first, *_] = _far_end_rows()
    # Claimed by a pass that died: 'sending', lease ended a moment ago, nothing recorded.
    first.status, first.next_attempt_at = "sending", now() - timedelta(seconds=1)
    database.session.commit()
    app.config["DELIVERY_TIMEOUT_SECONDS"] = 0.2
    deliver_due()
    row = database.session.get(Notification, first.id)
    database.session.refresh(row)
    assert (row.status, row.attempts) == ("pending", 1)


def test_the_retry_limit_ends_it_and_the_supervisor_is_told(app, dead_ends, post_now, client, login_as):
    from spoa.notifications.delivery import deliver_due

    body, _ = post_now(-5)
    app.config["DELIVERY_TIMEOUT_SECONDS"] = 0.2
    for n in _far_end_rows():  # all but the last attempt already spent
        n.attempts, n.next_attempt_at = MAX_ATTEMPTS - 1, now()
    database.session.commit()
    deliver_due()
    rows = _far_end_rows()
    assert rows and all((n.status, n.attempts) == ("failed", MAX_ATTEMPTS) for n in rows)
    assert database.session.query(DeliveryAttempt).count() == len(rows)
    deliver_due()  # nothing is tried again
    assert database.session.query(DeliveryAttempt).count() == len(rows)

    shown = full_view(body["id"])  # the staff's JSON (a sender's view carries no notifications)
    alerts = [n for n in shown["notifications"] if n["alert"] == "delivery-failed"]
    assert alerts and {n["recipient"] for n in alerts} == {"spoa_supervisor"}
    assert any(n["channel"] == "in_app" and n["status"] == "delivered" for n in alerts)
    assert any("webhook to service_duty_lead" in n["subject"] for n in alerts)

    login_as("supervisor")
    page = client.get(f"/referrals/{body['id']}").get_data(as_text=True)
    assert "webhook to service_duty_lead" in page and "failed after 8 attempts" in page


def test_without_redis_the_reconciler_delivers_beside_its_pass_not_in_it(app, dead_ends, post_now):
    from workers.context import use_app
    from workers.jobs import _fallback, reconcile

    use_app(app)
    post_now(-5)
    # Far ends slower than the bound below: a pass that waited on them could not pass it.
    app.config["DELIVERY_TIMEOUT_SECONDS"] = 2.0
    app.extensions["spoa_redis_down_until"] = time.monotonic() + 60  # Redis known down
    try:
        started = time.monotonic()
        result = reconcile()
        assert time.monotonic() - started < 1.5  # the pass did not wait on the far ends
        assert result["delivery"] == "started-here"
        deadline = time.monotonic() + 30
        while _fallback.locked() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        app.extensions["spoa_redis_down_until"] = 0.0
    assert not _fallback.locked()
    tried = [n for n in _far_end_rows() if n.attempts]
    assert tried and all(n.status == "pending" and n.attempts == 1 for n in tried)
