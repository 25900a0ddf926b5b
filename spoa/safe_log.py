"""Logging an unexpected error without patient data, wherever it happens."""
import logging
import traceback

import sqlalchemy

log = logging.getLogger("spoa.errors")


def log_unexpected(exc: Exception, where: str) -> None:
    """A database error's message carries the statement and its values (psycopg2
    even echoes them from the server), so for those only the class, SQLSTATE and
    stack frames are logged. ``where``: a request line or a component, never data."""
    if isinstance(exc, sqlalchemy.exc.DBAPIError):
        frames = "".join(traceback.format_tb(exc.__traceback__))
        code = getattr(exc.orig, "pgcode", None) or type(exc.orig).__name__
        log.error("unhandled error in %s: database error %s (statement and values withheld)\n%s",
                  where, code, frames)
    else:
        log.error("unhandled error in %s", where, exc_info=exc)
