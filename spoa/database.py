"""Engine behaviour that the database itself must guarantee.

SQLite (the laptop default) starts transactions lazily, so two requests that
read and then write can both get SQLITE_BUSY part-way through. Every
transaction therefore begins IMMEDIATE: writers queue on the database lock
(with a busy timeout) instead of failing, and SAVEPOINTs work as on
PostgreSQL. WAL lets readers go on while one writer holds the lock.
"""
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        # Hand transaction control to SQLAlchemy (pysqlite's own BEGIN is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
        # UK dates and hours, percentiles: what PostgreSQL computes itself (spoa/reports/sql.py).
        from .reports.sql import sqlite_functions
        sqlite_functions(dbapi_connection)

    @event.listens_for(engine, "begin")
    def _begin(conn):
        # A reader that never writes (READ_ONLY, spoa/replay) takes no write lock: a
        # deferred BEGIN, so intake goes on writing while a replay reads for a minute.
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")


# Session.in_transaction() is True as soon as a session is used (it begins lazily, before
# any connection); whether it holds a database transaction on a connection is no public
# attribute, so the session's own events keep it in session.info.
_CONNECTED = "spoa_holds_a_connection"


def _connected(session, _transaction, _connection) -> None:
    session.info[_CONNECTED] = True


def _ended(session, transaction) -> None:
    if transaction.parent is None:  # the outermost transaction: its connections are given back
        session.info.pop(_CONNECTED, None)


def track_connections(session) -> None:
    """Listen once (db.session is one scoped_session for every app in the process)."""
    if not event.contains(session, "after_begin", _connected):
        event.listen(session, "after_begin", _connected)
        event.listen(session, "after_transaction_end", _ended)


def holds_a_connection(session) -> bool:
    """Whether ``session`` has a transaction open on a connection (on SQLite, BEGIN
    IMMEDIATE: the write lock) now."""
    return bool(session.info.get(_CONNECTED))


# The execution option a read-only connection carries (spoa/replay/read_only.py).
READ_ONLY = "spoa_read_only"


def is_postgresql(session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# When the database is away, senders and staff are told to come back after this long.
RETRY_AFTER_SECONDS = 10

# SQLite calls a wrong statement an OperationalError too: that is our bug (a 500), not an outage.
SQLITE_OUR_FAULT = ("no such table", "no such column", "has no column", "syntax error")


def database_unavailable(exc: BaseException) -> bool:
    """The database could not be reached or used just now (not our code's fault, nor the
    sender's): refused or dropped connections, a locked SQLite file, a pool with no
    connection to give (sqlalchemy TimeoutError), a connection found dead mid-request."""
    if isinstance(exc, sa_exc.OperationalError) and any(
            words in str(exc.orig).lower() for words in SQLITE_OUR_FAULT):
        return False
    return (isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError))
            or (isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated))
