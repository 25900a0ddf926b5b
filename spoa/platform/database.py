"""Engine behaviour that the database itself must guarantee.

SQLite (the laptop default) starts transactions lazily, so two requests that
read and then write can both get SQLITE_BUSY part-way through. Every
transaction therefore begins IMMEDIATE: writers queue on the database lock
(with a busy timeout) instead of failing, and SAVEPOINTs work as on
PostgreSQL. WAL lets readers go on while one writer holds the lock.
"""
import time
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine

# A pooled connection unused this long is pinged before it is handed out (see below).
IDLE_PING_SECONDS = 10.0
# Connections are replaced after this long whatever happens (SQLALCHEMY_ENGINE_OPTIONS,
# config.py): under the idle cut-off of any firewall, proxy or pgbouncer in between.
POOL_RECYCLE_SECONDS = 300


def configure_engine(engine: Engine) -> None:
    _ping_when_idle(engine)
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
        # UK dates and hours, percentiles: what PostgreSQL computes itself (spoa/platform/sql.py).
        from spoa.platform.sql import sqlite_functions
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


def _ping_when_idle(engine: Engine) -> None:
    """Ping a pooled connection only when it has sat unused: not on every checkout.

    pool_pre_ping cost a round trip per request (each request checks a connection
    out). Dropped connections are recovered without it:
    - a connection that sat idle (longer than IDLE_PING_SECONDS; where a database
      restart, a failover or an idle cut-off most often finds one) is pinged here, and
      a dead one is replaced before anyone uses it (DisconnectionError: the pool
      retries with a new connection), so no request sees it;
    - a connection in use until moments ago that the database dropped fails its
      request's first statement; SQLAlchemy sees a disconnect and invalidates that
      connection and every one the pool held before it, so the next checkouts are all
      new connections. That request answers 503 with Retry-After (nothing stored:
      database_unavailable below), as any request does when the database goes away
      under it, ping or not;
    - pool_recycle replaces every connection after POOL_RECYCLE_SECONDS anyway."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection, record):
        if record is not None:
            record.info["spoa_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection, record, _proxy):
        idle_since = record.info.get("spoa_idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
            return  # new, or in use moments ago
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error:
            alive = False
        if not alive:
            raise sa_exc.DisconnectionError("a pooled connection was found dead after sitting idle")


# The execution option a read-only connection carries (spoa/replay/read_only.py).
READ_ONLY = "spoa_read_only"


def is_postgresql(session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def skip_locked(stmt, session, of=None):
    """``stmt`` as a claim of the rows it selects: on PostgreSQL FOR UPDATE SKIP LOCKED
    (of ``of``'s table only, when it loads others with it), so concurrent workers each
    take rows no other holds, without waiting for one another. On SQLite as it is:
    every transaction begins IMMEDIATE (above), so one claimer at a time holds them all."""
    if not is_postgresql(session):
        return stmt
    return stmt.with_for_update(skip_locked=True, of=of)


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


# PostgreSQL SQLSTATEs of a transaction that lost a race: serialization failure,
# deadlock, lock not available (lock_timeout), query cancelled (statement_timeout).
_RACE_SQLSTATES = frozenset({"40001", "40P01", "55P03", "57014"})


def is_concurrent_change(exc: sa_exc.DBAPIError) -> bool:
    """A database error meaning "another transaction got there first", not a bug."""
    if isinstance(exc, sa_exc.IntegrityError):
        return True  # a unique row (a clock's effect) another writer committed first
    if getattr(exc.orig, "pgcode", None) in _RACE_SQLSTATES:
        return True
    return "database is locked" in str(exc.orig)  # SQLite's busy timeout ran out


def commit_unless_raced(session, work: Callable[[], object]) -> sa_exc.DBAPIError | None:
    """Do ``work`` and commit ``session``, as one unit: None once committed. When
    another transaction got there first (is_concurrent_change) nothing is kept and
    the error is returned: the caller retries on fresh rows, leaves it to the next
    pass, or answers 409. Anything else is rolled back and raised."""
    try:
        work()
        session.commit()
    except sa_exc.DBAPIError as exc:
        session.rollback()
        if not is_concurrent_change(exc):
            raise
        return exc
    except BaseException:
        session.rollback()
        raise
    return None
