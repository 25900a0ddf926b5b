"""The worker's one reconnect loop (workers/runner.py: reconnecting), which the main worker
and each delivery worker run their work in: with Redis away it waits and tries again,
each wait twice the last up to MAX_BACKOFF; a delivery worker also comes back from any
other error (after the same wait), where the main worker lets it end the process."""
import logging
import threading

import pytest
import redis as redis_lib

from workers.runner import MAX_BACKOFF, reconnecting

NOBODY_LISTENS = "redis://127.0.0.1:1/0"  # a port nothing listens on: a real refused connection


class RecordedWaits(threading.Event):
    """The loop's stop event, recording how long each wait would be (and not waiting)."""

    def __init__(self):
        super().__init__()
        self.waits = []

    def wait(self, timeout=None):
        self.waits.append(timeout)
        return self.is_set()


def failing(times: int, error=None):
    """work() that fails ``times`` times (Redis refusing, unless ``error`` says), then returns."""
    calls = []

    def work():
        calls.append(1)
        if len(calls) <= times:
            if error is not None:
                raise error
            redis_lib.Redis.from_url(NOBODY_LISTENS, socket_connect_timeout=1).ping()

    return work, calls


def test_redis_away_is_retried_with_each_wait_twice_the_last_up_to_the_cap(caplog):
    stop = RecordedWaits()
    work, calls = failing(7)
    with caplog.at_level(logging.WARNING, logger="workers.runner"):
        reconnecting(work, stop, "delivery worker: ")
    assert len(calls) == 8
    assert stop.waits == [1.0, 2.0, 4.0, 8.0, 16.0, MAX_BACKOFF, MAX_BACKOFF]
    assert caplog.messages[0] == "delivery worker: redis unavailable (ConnectionError); retrying in 1 s"


def test_another_error_ends_the_main_worker_and_restarts_a_delivery_worker(caplog):
    work, calls = failing(1, ValueError("a bug"))
    with pytest.raises(ValueError):
        reconnecting(work, RecordedWaits())
    assert len(calls) == 1

    stop = RecordedWaits()
    work, calls = failing(2, ValueError("a bug"))
    with caplog.at_level(logging.ERROR):
        reconnecting(work, stop, "delivery worker: ", restarting="the delivery worker (restarting)")
    assert len(calls) == 3 and stop.waits == [1.0, 1.0]  # the same wait each time
    assert caplog.messages.count("unhandled error in the delivery worker (restarting)") == 2


def test_a_stopped_loop_tries_no_more():
    stop = RecordedWaits()
    stop.set()
    work, calls = failing(0)
    reconnecting(work, stop)
    assert calls == []

    stop = RecordedWaits()

    def work_until_stopped():
        stop.set()  # the signal lands while Redis is away
        redis_lib.Redis.from_url(NOBODY_LISTENS, socket_connect_timeout=1).ping()

    reconnecting(work_until_stopped, stop)
    assert stop.waits == [1.0]
