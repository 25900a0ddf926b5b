"""A stop signal that lands inside logging's own code (as RQ forks its scheduler, in
logging's at-fork hook, where a raised exception is swallowed with the lock held) is
delivered again a moment later in ordinary code, so the worker still stops."""
import logging
import signal
import sys
import time

from workers.runner import lands_in_logging, stopping_safely


def a_frame_inside_logging():
    caught = []

    class Catch(logging.Filter):
        def filter(self, record):
            caught.append(sys._getframe(1))  # the caller: logging's Filterer.filter
            return False

    logger = logging.getLogger("tests.stop-signal")
    logger.addFilter(catch := Catch())
    try:
        logger.warning("probe")
    finally:
        logger.removeFilter(catch)
    return caught[0]


def test_it_knows_a_frame_of_logging_from_ordinary_code():
    assert lands_in_logging(a_frame_inside_logging())
    assert not lands_in_logging(sys._getframe())
    assert not lands_in_logging(None)


def test_a_stop_landing_in_logging_is_delivered_again_outside_it():
    calls = []
    handler = stopping_safely(lambda signum, frame: calls.append((signum, lands_in_logging(frame))))
    previous = signal.signal(signal.SIGUSR2, handler)
    try:
        handler(signal.SIGUSR2, a_frame_inside_logging())
        assert calls == []  # not inside logging's code
        deadline = time.monotonic() + 5
        while not calls and time.monotonic() < deadline:
            time.sleep(0.01)  # the redelivered signal runs its handler here, in ordinary code
        assert calls == [(signal.SIGUSR2, False)]
    finally:
        signal.signal(signal.SIGUSR2, previous)


def test_a_stop_landing_in_ordinary_code_stops_at_once():
    calls = []
    stopping_safely(lambda signum, frame: calls.append(signum))(signal.SIGTERM, sys._getframe())
    assert calls == [signal.SIGTERM]
