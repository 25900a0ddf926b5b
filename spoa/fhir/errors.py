"""Every error of the FHIR endpoint as an OperationOutcome, never HTML or
problem+json, and never a bare 500 for a sender's message."""
import logging

from flask import g, request
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from spoa.api.problems import Problem
from spoa.extensions import db
from spoa.fhir import bp
from spoa.platform.database import RETRY_AFTER_SECONDS, database_unavailable
from spoa.platform.safe_log import log_unexpected
from spoa.schemas.fhir.outcome import ISSUE_TYPES, FhirError, error_response

log = logging.getLogger(__name__)


def echoed(headers: dict | None = None) -> dict:
    """X-Request-ID and X-Correlation-ID go back on every answer (BaRS receiver rule)."""
    out = dict(headers or {})
    out.update(g.get("fhir_echo", {}))
    return out


@bp.errorhandler(FhirError)
def _fhir(exc: FhirError):
    return error_response(exc.status, exc.issues, echoed(exc.headers))


@bp.errorhandler(Problem)
def _problem(exc: Problem):
    # The JSON API's own refusals reused here: bearer token (401), rate limit (429).
    return error_response(exc.status, [(ISSUE_TYPES.get(exc.status, "processing"), exc.detail, None)],
                          echoed(exc.headers))


@bp.errorhandler(HTTPException)
def _http(exc: HTTPException):
    headers = {}
    if exc.code == 405 and exc.valid_methods:
        headers["Allow"] = ", ".join(exc.valid_methods)
    detail = exc.description
    if exc.code == 413:
        detail = "The message is larger than SPOA accepts (64 KiB)."
    return error_response(exc.code or 400, [(ISSUE_TYPES.get(exc.code, "processing"), detail, None)],
                          echoed(headers))


@bp.errorhandler(sa_exc.SQLAlchemyError)
def _database(exc: sa_exc.SQLAlchemyError):
    if not database_unavailable(exc):
        return _unexpected(exc)
    log.warning("database unavailable during %s %s: %s", request.method, request.path,
                type(getattr(exc, "orig", None) or exc).__name__)
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001  (the database is what is down)
        pass
    return error_response(503, [("transient", "The database cannot be reached just now; nothing was stored. "
                                              "Send the same message again after Retry-After seconds.", None)],
                          echoed({"Retry-After": str(RETRY_AFTER_SECONDS)}))


@bp.errorhandler(Exception)
def _unexpected(exc: Exception):
    log_unexpected(exc, f"{request.method} {request.path}")
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001
        pass
    return error_response(500, [("exception", "Something went wrong on SPOA's side; the referral was not "
                                              "stored. Please retry.", None)], echoed())
