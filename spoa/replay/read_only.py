"""A connection no statement can write through, its transaction rolled back.

A replay must change nothing, and must not stop intake either. So it reads on a
connection of its own (never the request's session, which may hold a user's
changes), in a transaction the database refuses writes in:
PostgreSQL: REPEATABLE READ, READ ONLY (one snapshot for the whole replay);
SQLite: PRAGMA query_only, and a deferred BEGIN (spoa/platform/database.py), which
takes no write lock, so writers carry on meanwhile in WAL mode.
"""
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection

from spoa.extensions import db
from spoa.platform.database import READ_ONLY


@contextmanager
def read_only_connection() -> Iterator[Connection]:
    with db.engine.connect() as conn:
        conn.execution_options(**{READ_ONLY: True})
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            # Outside any transaction (pysqlite's autocommit mode, spoa/platform/database.py), on
            # this connection only; set back before the pool hands it to anyone else.
            conn.connection.dbapi_connection.execute("PRAGMA query_only = ON")
        try:
            transaction = conn.begin()
            try:
                if not sqlite:
                    conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                yield conn
            finally:
                transaction.rollback()
        finally:
            if sqlite:
                conn.connection.dbapi_connection.execute("PRAGMA query_only = OFF")
