"""The worker as it runs in production: a separate process, real time, real Redis
(a private redis-server: tests/system/workers/conftest.py)."""
import signal
import time
import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest
import redis as redis_lib
from sqlalchemy import select

from spoa.extensions import db as database
from spoa.models import Clock, ClockEffect, Notification
from spoa.platform.timekeeping import now
from tests.support.data.referral_data import full_view
from tests.system.workers.conftest import BREACH_WITHIN

from .conftest import assert_eventually, working_since


@pytest.fixture
def due_soon(client, sender, payload):
    """due_soon(seconds) -> referral id of a crisis referral whose 2-hour clock ends in
    ``seconds``; its 75% and 90% warnings are already past, and must show in the answer."""
    _, headers = sender

    def post(seconds):
        received = now() - timedelta(hours=2) + timedelta(seconds=seconds)
        response = client.post("/api/v1/referrals", json=payload(received_at=received.isoformat()), headers=headers)
        assert response.status_code == 201
        body = full_view(response.get_json()["id"])  # the effects are in the staff's view
        first = next(c for c in body["clocks"] if c["name"] == "first_contact")
        assert [(e["kind"], e["level"]) for e in first["effects"]] == [("warning", 75), ("warning", 90)]
        # The request shared the test's session: end its read now, or on SQLite
        # it holds the write lock against the worker.
        database.session.remove()
        return uuid.UUID(body["id"])

    return post



def wait_for_breach(referral_id, timeout=20.0):
    """Poll through short-lived connections of our own: the test's session must
    hold no transaction (on SQLite, the write lock) while the worker works."""
    database.session.remove()
    query = select(Clock.breached_at, Clock.deadline).where(
        Clock.referral_id == referral_id, Clock.name == "first_contact")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with database.engine.connect() as conn:
            breached_at, clock_deadline = conn.execute(query).one()
        if breached_at is not None:
            return SimpleNamespace(breached_at=breached_at, deadline=clock_deadline)
        time.sleep(0.2)
    raise AssertionError(f"clock of referral {referral_id} not breached within {timeout} s")


def assert_breached_in_time(clock, worker_since=None):
    """Within 5 s of the deadline; for a clock that fell due while no worker ran, within
    5 s of the worker that came (``worker_since``), and never before its deadline."""
    lag = (clock.breached_at - clock.deadline).total_seconds()
    due = max(clock.deadline, worker_since) if worker_since else clock.deadline
    late = (clock.breached_at - due).total_seconds()
    print(f"breach lag {lag:.2f} s" + (f" ({late:.2f} s after the worker began)" if worker_since else ""))
    assert lag >= 0, f"breach recorded {-lag:.2f} s before the deadline"
    assert late <= BREACH_WITHIN, f"breach recorded {late:.2f} s after it was due"


def assert_every_notification_once():
    database.session.rollback()
    rows = database.session.query(Notification.effect_id, Notification.recipient, Notification.channel).all()
    assert len(rows) == len(set(rows))
    effects = database.session.query(ClockEffect.clock_id, ClockEffect.kind, ClockEffect.level).all()
    assert len(effects) == len(set(effects))
    database.session.rollback()


@pytest.mark.slow
def test_breaches_are_recorded_within_5_s_through_flush_restart_and_sigkill(worker_factory, private_redis, due_soon):
    worker = worker_factory()
    first = due_soon(3)  # received 1 h 59 min 57 s ago
    assert_breached_in_time(wait_for_breach(first))
    database.session.remove()
    told = database.session.query(Notification).join(ClockEffect).filter(
        ClockEffect.referral_id == first, ClockEffect.kind == "breach").one()
    assert told.recipient == "service_duty_lead:crisis_response"  # the first link of the chain
    database.session.rollback()

    # Redis loses everything between intake and the deadline.
    second = due_soon(4)
    redis_lib.Redis.from_url(private_redis.url).flushdb()
    assert_breached_in_time(wait_for_breach(second))

    # Redis restarts empty while the worker runs: the worker reconnects.
    third = due_soon(5)
    private_redis.stop()
    private_redis.start()
    assert_breached_in_time(wait_for_breach(third))

    # The worker is killed outright (it runs a reconcile job every second, so
    # often mid-job), and a new one starts.
    worker.send_signal(signal.SIGKILL)
    worker.wait(5)
    fourth = due_soon(4)  # scheduled while no worker runs: due at 4 s, or when the new one begins
    replacement = worker_factory(wait=False)
    since = working_since(replacement, private_redis.url)
    assert_breached_in_time(wait_for_breach(fourth), worker_since=since)
    assert_every_notification_once()


@pytest.mark.slow
def test_two_workers_racing_record_each_breach_once(worker_factory, private_redis, due_soon):
    for worker in [worker_factory(wait=False), worker_factory(wait=False)]:  # started side by side
        working_since(worker, private_redis.url)  # both racing before any clock is due
    ids = [due_soon(3) for _ in range(25)]
    for referral_id in ids:
        wait_for_breach(referral_id)
    assert_every_notification_once()
    database.session.rollback()
    breaches = database.session.query(ClockEffect).filter_by(kind="breach").count()
    assert breaches == 25


@pytest.mark.slow
def test_the_worker_stops_cleanly_on_sigterm(worker_factory, private_redis):
    # Once it is working (registered with RQ, its scheduler forked): before that there is
    # nothing to stop cleanly, and a slow start on a busy machine would race the signal.
    # (A SIGTERM landing while RQ forks the scheduler, inside logging's at-fork hook, is
    # delivered again outside it: tests/workers/test_stop_signal.py.)
    worker = worker_factory(wait=False)
    working_since(worker, private_redis.url, with_scheduler=True)
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(15) == 0


@pytest.mark.slow
def test_breaches_stay_on_time_while_every_delivery_hangs(worker_factory, due_soon, tmp_path):
    """The duty lead's webhook black-holed: the worker's delivery thread waits on it
    while its reconciler goes on recording breaches within 5 s."""
    import socket

    from spoa.models import NotificationChannel

    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(64)  # accepts (the kernel's backlog), never answers
    database.session.add(NotificationChannel(recipient="service_duty_lead", channel="webhook",
                                             target=f"http://127.0.0.1:{hole.getsockname()[1]}/hook"))
    database.session.commit()
    database.session.remove()
    try:
        worker_factory()
        first = due_soon(3)
        assert_breached_in_time(wait_for_breach(first))
        # Three more, falling due 3, 4 and 5 s on: each while the first breach's delivery
        # (a 5 s timeout) and those queued behind it are still hanging.
        for later in [due_soon(seconds) for seconds in (3, 4, 5)]:
            assert_breached_in_time(wait_for_breach(later))
        assert_eventually(lambda: database.session.query(Notification).filter(
            Notification.channel == "webhook", Notification.attempts > 0).count() >= 1,
            "no webhook delivery was attempted (and counted)")
    finally:
        hole.close()
