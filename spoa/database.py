"""Engine behaviour that the database itself must guarantee.

SQLite (the laptop default) starts transactions lazily, so two requests that
read and then write can both get SQLITE_BUSY part-way through. Every
transaction therefore begins IMMEDIATE: writers queue on the database lock
(with a busy timeout) instead of failing, and SAVEPOINTs work as on
PostgreSQL. WAL lets readers go on while one writer holds the lock.
"""
from sqlalchemy import event
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

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def is_postgresql(session) -> bool:
    return session.get_bind().dialect.name == "postgresql"
