"""Every error, answered once and in the language of the surface that was asked.

Three surfaces, three renderers: problem+json (RFC 9457) under /api (built by
api/problems.py), an OperationOutcome on the FHIR endpoint (schemas/fhir/outcome.py), and a
page in the site's own look everywhere else. What happens is decided here, once,
whichever surface it was: the database away is one log line, one rollback and one
set of words, a 503 with Retry-After; anything unexpected is logged once and rolled
back, a 500. Never HTML to a system, never a bare 500 for something a sender did.
"""
import logging

from flask import request
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from spoa.platform.database import RETRY_AFTER_SECONDS, database_unavailable
from spoa.platform.problem import Problem
from spoa.platform.safe_log import log_unexpected
from spoa.web.error_pages import PAGE_UNEXPECTED, error_page, page_for_error

log = logging.getLogger(__name__)

API, FHIR, PAGE = "api", "fhir", "page"

# A system's words (the API's and FHIR's): what happened, and what to do.
DATABASE_DOWN = ("The database cannot be reached just now; nothing was stored. "
                 "Send the same request again after Retry-After seconds.")
UNEXPECTED = "Something went wrong on our side; the referral was not stored. Please retry."



def surface() -> str:
    """Which surface this request is: the FHIR endpoint (its blueprint: a catch-all route
    keeps every /fhir address in it), the JSON API (its path), or a staff page."""
    if request.blueprint == "fhir":
        return FHIR
    if request.path.startswith("/api/"):
        return API
    return PAGE


# --- the renderers ----------------------------------------------------------------------

def _problem(status: int, detail: str, **fields):
    from spoa.api.problems import problem_response

    return problem_response(status, detail, **fields)


def _outcome(status: int, detail: str, issue_type: str | None = None, headers: dict | None = None):
    from spoa.schemas.fhir.outcome import ISSUE_TYPES, echoed, error_response

    return error_response(status, [(issue_type or ISSUE_TYPES.get(status, "processing"), detail, None)],
                          echoed(headers))


# --- the handlers -----------------------------------------------------------------------

def problem(exc: Problem):
    where = surface()
    if where == API:
        return _problem(exc.status, exc.detail, title=exc.title, errors=exc.errors, headers=exc.headers,
                        type_=exc.type)
    if where == FHIR:  # the API's own refusals reused there: bearer token (401), rate limit (429)
        return _outcome(exc.status, exc.detail, headers=exc.headers)
    return error_page(exc.status, exc.detail, headers=exc.headers)


def http_error(exc: HTTPException):
    """Any HTTP error (a 404, a 405, an abort)."""
    where = surface()
    if where == PAGE:
        return page_for_error(exc)
    headers = {}
    if exc.code == 405 and exc.valid_methods:
        headers["Allow"] = ", ".join(exc.valid_methods)
    if where == API:
        return _problem(exc.code, exc.description, headers=headers)
    detail = "The message is larger than SPOA accepts (64 KiB)." if exc.code == 413 else exc.description
    return _outcome(exc.code or 400, detail, headers=headers)


def fhir_error(exc):
    from spoa.schemas.fhir.outcome import echoed, error_response

    return error_response(exc.status, exc.issues, echoed(exc.headers))


def database_error(exc: sa_exc.SQLAlchemyError):
    return database_down(exc) if database_unavailable(exc) else unexpected(exc)


def _roll_back() -> None:
    from spoa.extensions import db

    try:
        db.session.rollback()  # nothing of this request is kept; the connection goes back to the pool
    except Exception:  # noqa: BLE001  (it may be the database that is down: nothing more to do here)
        pass


def database_down(exc: Exception):
    # The class only: a database error's text may carry a statement, or the server's echo of values.
    log.warning("database unavailable during %s %s: %s", request.method, request.path,
                type(getattr(exc, "orig", None) or exc).__name__)
    _roll_back()
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    where = surface()
    if where == API:
        return _problem(503, DATABASE_DOWN, title="Service unavailable", headers=headers)
    if where == FHIR:
        return _outcome(503, DATABASE_DOWN, "transient", headers)
    from spoa.web.unavailable import database_down_page

    return database_down_page()


def unexpected(exc: Exception):
    # Our fault, not the caller's: logged once, nothing of it kept, answered in the caller's language.
    log_unexpected(exc, f"{request.method} {request.path}")
    _roll_back()
    where = surface()
    if where == API:
        return _problem(500, UNEXPECTED)
    if where == FHIR:
        return _outcome(500, UNEXPECTED, "exception")
    return error_page(500, PAGE_UNEXPECTED[1], PAGE_UNEXPECTED[0])


def init_app(app) -> None:
    from spoa.schemas.fhir.outcome import FhirError

    app.register_error_handler(Problem, problem)
    app.register_error_handler(FhirError, fhir_error)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(sa_exc.SQLAlchemyError, database_error)
    app.register_error_handler(Exception, unexpected)
