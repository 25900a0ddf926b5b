"""Logging without patient data, wherever it happens, and with the ids that say
what a line was about: the request, the RQ job and the referral in hand.

Ids, never identifiers: a log line may name a referral by its id (a UUID), never
the patient. Messages are written that way; ``Redact`` is the net under them
(an NHS number or a full postcode that slips into a message or a traceback is
replaced before any handler writes it). Names cannot be recognised by pattern:
they must never be logged (tests/test_json_logs.py checks an intake and a chase).
"""
import contextlib
import logging
import re
import traceback
from contextvars import ContextVar

import nhs_number
import sqlalchemy

log = logging.getLogger("spoa.errors")

# What the work in hand is about; each unit of work (a request, a job, one
# referral's step inside a batch) sets and resets its own (contextvars: per
# thread and per greenlet, so concurrent requests never see each other's).
CONTEXT_IDS = ("request_id", "job_id", "referral_id")
_context = {name: ContextVar(name, default=None) for name in CONTEXT_IDS}


def context_ids() -> dict:
    """The ids set now, by name (only those set)."""
    return {name: str(var.get()) for name, var in _context.items() if var.get() is not None}


@contextlib.contextmanager
def bound(**ids):
    """``with bound(referral_id=r.id): ...``: log lines inside carry the id."""
    tokens = [(_context[name], _context[name].set(value)) for name, value in ids.items()]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def set_id(name: str, value):
    """Set one id until ``reset_id`` (for hooks that cannot wrap the work in ``bound``)."""
    return _context[name].set(value)


def reset_id(name: str, token) -> None:
    _context[name].reset(token)


class ContextIds(logging.Filter):
    """Puts the ids in hand on each record a handler writes (as attributes, so the
    JSON formatter writes them as fields of their own)."""

    def filter(self, record):
        for name, value in context_ids().items():
            if not hasattr(record, name):  # an id passed explicitly (extra=) wins
                setattr(record, name, value)
        return True


# 10 digits, maybe spaced 3-3-4 as printed; only those that pass the NHS check digit
# (so a timestamp or a count is left alone, bar one in eleven).
_NHS = re.compile(r"(?<![\d])(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?![\d])")
# A full UK postcode, outward and inward parts with their space (references have no space).
_POSTCODE = re.compile(r"\b(GIR ?0AA|[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2})\b", re.IGNORECASE)


def redact(text: str) -> str:
    text = _NHS.sub(lambda m: "[nhs-number]" if nhs_number.is_valid("".join(m.groups())) else m.group(0), text)
    return _POSTCODE.sub("[postcode]", text)


class Redact(logging.Filter):
    """The message and any traceback, formatted and redacted before a handler writes them."""

    def filter(self, record):
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001  (a bad format string: the handler reports it, as logging does)
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info:
            record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip())
            record.exc_info = None  # formatters write exc_text instead
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


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
