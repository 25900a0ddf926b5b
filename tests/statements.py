"""Counting the SQL a request makes on this thread (N+1 tests): a list of N rows
must cost what a list of 2 costs."""
import threading
from contextlib import contextmanager

from sqlalchemy import event


@contextmanager
def statements(engine):
    """Yields the list of statements this thread sends through ``engine`` meanwhile."""
    seen, here = [], threading.get_ident()

    def listener(*args):
        if threading.get_ident() == here:
            seen.append(args[2])

    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listener)
