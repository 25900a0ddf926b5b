"""Counting the SQL a request makes on this thread (N+1 tests): a list of N rows
must cost what a list of 2 costs. This thread's only: a live page's listener or a
stream may be sending its own statements meanwhile."""
import threading
from contextlib import contextmanager

from sqlalchemy import event


@contextmanager
def statements(engine, where=None):
    """Yields the list of statements this thread sends through ``engine`` meanwhile
    (those ``where(statement)`` is true of, if given)."""
    seen, here = [], threading.get_ident()

    def listener(_conn, _cursor, statement, *_):
        if threading.get_ident() == here and (where is None or where(statement)):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listener)
