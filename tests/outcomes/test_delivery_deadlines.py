"""Delivery that nothing can hold up: receivers that trickle an answer for ever
cost one sending thread one deadline each, while another sender's outcome and an
on-call breach alert arrive at once; a receiver that keeps failing has its circuit
opened and is left alone; duty alerts are claimed before senders' outcomes."""
import threading
import time
from datetime import timedelta

import pytest

from spoa.extensions import db as database
from spoa.models import Notification, NotificationChannel
from spoa.platform.timekeeping import now
from tests.support.fixtures.outcomes import outcome_rows
from tests.support.servers import Healthy, Trickle

pytestmark = pytest.mark.both_databases

ARRIVE_WITHIN = 10.0


@pytest.fixture
def receivers():
    made = []

    def make(kind):
        made.append(kind())
        return made[-1]

    yield make
    for r in made:
        r.close()


def _accepted_referral(make_sender, post, fire, crisis_team, callback_url):
    _, headers, _ = make_sender(callback_url=callback_url)
    referral = post(headers)
    fire(crisis_team, referral, "accept")  # the sender's outcome is queued
    return referral


def _breached_referral(make_sender, post):
    """A crisis referral taken already past its first-contact deadline: breached as it is
    taken, and the duty lead's alert queued."""
    _, headers, _ = make_sender()
    post(headers, received_at=(now() - timedelta(hours=2, seconds=5)).isoformat())
    database.session.remove()
    assert database.session.query(Notification).filter_by(channel="webhook").count() == 1
    database.session.remove()


def _sms_channel(url):
    database.session.add(NotificationChannel(recipient="service_duty_lead", channel="webhook", target=url))
    database.session.commit()


def test_three_trickling_callbacks_hold_up_neither_another_senders_outcome_nor_a_breach_alert(
        app, receivers, make_sender, post, fire, crisis_team):
    from workers.context import use_app
    from workers.jobs import deliver

    use_app(app)
    trickles = [receivers(Trickle) for _ in range(3)]
    fourth, sms = receivers(Healthy), receivers(Healthy)
    _sms_channel(sms.url)
    for trickle in trickles:  # queued first: the longest waiting
        _accepted_referral(make_sender, post, fire, crisis_team, trickle.url)
    _accepted_referral(make_sender, post, fire, crisis_team, fourth.url)
    _breached_referral(make_sender, post)
    database.session.remove()

    started = time.monotonic()
    passing = threading.Thread(target=deliver, daemon=True)  # the worker's delivery job
    passing.start()
    assert fourth.arrived.wait(ARRIVE_WITHIN), "the fourth sender's outcome did not arrive"
    assert sms.arrived.wait(max(0.0, ARRIVE_WITHIN - (time.monotonic() - started))), "the breach alert did not arrive"
    assert passing.is_alive()  # the pass is still waiting on the trickling ones (the test proves nothing otherwise)
    passing.join(app.config["DELIVERY_TIMEOUT_SECONDS"] + 5)  # the trickling ones end at their deadline
    assert not passing.is_alive()
    assert all(t.connections == 1 for t in trickles)  # each was tried, in the same pass
    rows = outcome_rows()
    assert sorted((r.status, r.target in {t.url for t in trickles}) for r in rows) == [
        ("delivered", False), ("pending", True), ("pending", True), ("pending", True)]


def test_a_trickling_receivers_attempt_ends_at_the_deadline_and_is_a_failure(
        app, receivers, make_sender, post, fire, crisis_team, deliver):
    trickle = receivers(Trickle)
    _accepted_referral(make_sender, post, fire, crisis_team, trickle.url)
    saved, app.config["DELIVERY_TIMEOUT_SECONDS"] = app.config["DELIVERY_TIMEOUT_SECONDS"], 1.5
    try:
        started = time.monotonic()
        passing = threading.Thread(target=lambda: app.app_context().push() or deliver(), daemon=True)
        passing.start()
        passing.join(1.5 + 1.5)
        took = time.monotonic() - started
    finally:
        app.config["DELIVERY_TIMEOUT_SECONDS"] = saved
    assert not passing.is_alive(), f"the attempt was still going after {took:.1f} s"
    assert took >= 1.5
    [row] = outcome_rows()
    assert (row.status, row.attempts) == ("pending", 1)
    assert "timed out" in row.last_error and "1.5 s" in row.last_error
    assert [a.ok for a in row.delivery_attempts] == [False]


def test_a_receiver_that_keeps_failing_is_left_alone_until_its_circuit_closes(
        app, frozen_now, receivers, make_sender, post, fire, crisis_team, deliver):
    failing = receivers(lambda: Healthy(status=500))
    t0 = now().replace(microsecond=0)
    with frozen_now(t0):
        _, headers, _ = make_sender(callback_url=failing.url)
        for _ in range(4):
            fire(crisis_team, post(headers), "accept")
    saved = {k: app.config[k] for k in ("DELIVERY_CIRCUIT_FAILURES", "DELIVERY_CIRCUIT_OPEN_SECONDS")}
    app.config.update(DELIVERY_CIRCUIT_FAILURES=2, DELIVERY_CIRCUIT_OPEN_SECONDS=300)
    try:
        with frozen_now(t0):
            assert deliver() == 4  # all four tried (claimed together), all failed: the circuit opens
        assert failing.hits == 4
        with frozen_now(t0 + timedelta(seconds=31)):  # their first backoff is over
            assert deliver() == 0  # none tried: the circuit is open
        assert failing.hits == 4
        rows = outcome_rows()
        assert {(r.status, r.attempts) for r in rows} == {("pending", 1)}
        assert {r.next_attempt_at for r in rows} == {t0 + timedelta(seconds=300)}

        failing.status = 200  # the receiver is back
        with frozen_now(t0 + timedelta(seconds=301)):
            assert deliver() == 1  # half-open: one trial
        assert failing.hits == 5
        with frozen_now(t0 + timedelta(seconds=301 + 12)):  # past the trial's hold: the circuit is closed
            assert deliver() == 3
        assert {r.status for r in outcome_rows()} == {"delivered"}
    finally:
        app.config.update(saved)


def test_duty_alerts_are_claimed_before_senders_outcomes_on_both_databases(
        app, receivers, make_sender, post, fire, crisis_team):
    from spoa.notifications.delivery import _release, claim

    callback, sms = receivers(Healthy), receivers(Healthy)
    _sms_channel(sms.url)
    _accepted_referral(make_sender, post, fire, crisis_team, callback.url)
    _accepted_referral(make_sender, post, fire, crisis_team, callback.url)
    _breached_referral(make_sender, post)
    retry, legacy = outcome_rows()
    # A retry that came due ten minutes ago, and an outcome queued with no next attempt
    # at all five minutes ago (as before they had one): both wait longer than the alert.
    retry.attempts, retry.next_attempt_at = 1, now() - timedelta(minutes=10)
    legacy.next_attempt_at, legacy.created_at = None, now() - timedelta(minutes=5)
    database.session.commit()
    [alert] = database.session.query(Notification).filter_by(channel="webhook").all()
    ids = (alert.id, retry.id, legacy.id)
    database.session.remove()

    claimed = claim(limit=3)
    _release(claimed)
    assert tuple(c["id"] for c in claimed) == ids


def test_a_pass_is_queued_beside_one_already_running_never_beside_one_waiting(app, redis):
    """Several passes run at once across the workers: while one is sending, the next
    due notification gets a pass of its own; while one waits in the queue, it will take
    everything due, so no other is queued."""
    from rq.job import Job, JobStatus

    from workers.jobs import request_delivery
    from workers.queues import DELIVERY_QUEUE, SERIALIZER, queue

    waiting = queue(DELIVERY_QUEUE, redis)
    with app.app_context():  # as the reconciler asks
        assert request_delivery(app) == "queued"
        assert request_delivery(app) == "queued"
        assert waiting.job_ids == ["deliver"]
        job = Job.fetch("deliver", connection=redis, serializer=SERIALIZER)
        assert job.timeout > app.config["DELIVERY_BUDGET_SECONDS"] + app.config["DELIVERY_TIMEOUT_SECONDS"]
        # A worker takes it (as RQ's worker does: out of the queue, started).
        waiting.remove(job.id)
        job.set_status(JobStatus.STARTED)
        assert request_delivery(app) == "queued"
        assert waiting.job_ids == ["deliver-1"]


def test_rq_ending_the_job_is_not_recorded_as_the_receivers_failure():
    from rq.timeouts import JobTimeoutException

    from spoa.notifications.delivery import _attempt

    def ended_by_rq():
        raise JobTimeoutException("Task exceeded maximum timeout value (180 seconds)")

    with pytest.raises(JobTimeoutException):
        _attempt(ended_by_rq, time.monotonic() + 60)
    assert _attempt(lambda: (_ for _ in ()).throw(OSError("refused")), time.monotonic() + 60) == "OSError: refused"
