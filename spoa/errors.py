"""Every error, answered once and in the language of the surface that was asked.

Three surfaces, three renderers: problem+json (RFC 9457) under /api (built by
api/problems.py), an OperationOutcome on the FHIR endpoint (fhir/outcome.py), and a
page in the site's own look everywhere else. What happens is decided here, once,
whichever surface it was: the database away is one log line, one rollback and one
set of words, a 503 with Retry-After; anything unexpected is logged once and rolled
back, a 500. Never HTML to a system, never a bare 500 for something a sender did.
"""
import logging
from http import HTTPStatus

from flask import render_template, request
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from .database import RETRY_AFTER_SECONDS, database_unavailable
from .safe_log import log_unexpected

log = logging.getLogger(__name__)

API, FHIR, PAGE = "api", "fhir", "page"

# A system's words (the API's and FHIR's): what happened, and what to do.
DATABASE_DOWN = ("The database cannot be reached just now; nothing was stored. "
                 "Send the same request again after Retry-After seconds.")
UNEXPECTED = "Something went wrong on our side; the referral was not stored. Please retry."
# A person's words (staff pages).
PAGE_ERRORS = {
    # A form without its CSRF token, or one kept open past the session: say what to do.
    400: ("The form could not be sent",
          "It may have been open too long. Go back, reload the page and try again."),
    403: ("You do not have access to this page",
          "Your role does not allow this. If you need it for your work, ask an administrator."),
    404: ("Page not found", "Check the address, or go back to the home page."),
}
PAGE_UNEXPECTED = ("Sorry, something went wrong on our side",
                   "Nothing you typed caused this. Please try again; if it happens again, tell the duty supervisor.")


class Problem(Exception):
    """A refusal with a status and words for the caller, raised anywhere a request is
    served: each surface renders it in its own format (its ``errors``, ``title`` and
    ``type_`` are problem+json's, which the others leave out)."""

    def __init__(self, status: int, detail: str, *, title: str | None = None,
                 errors: dict | None = None, headers: dict | None = None, type_: str | None = None):
        super().__init__(detail)
        self.status, self.detail, self.title = status, detail, title
        self.errors, self.headers, self.type = errors, headers or {}, type_


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
    from .api.problems import problem_response

    return problem_response(status, detail, **fields)


def _outcome(status: int, detail: str, issue_type: str | None = None, headers: dict | None = None):
    from .fhir.outcome import ISSUE_TYPES, echoed, error_response

    return error_response(status, [(issue_type or ISSUE_TYPES.get(status, "processing"), detail, None)],
                          echoed(headers))


def error_page(status: int, detail: str | None = None, title: str | None = None, headers: dict | None = None):
    """A staff page's error: the site's look, the person's words (PAGE_ERRORS) unless given."""
    known_title, known_detail = PAGE_ERRORS.get(status, (HTTPStatus(status).phrase, ""))
    body = render_template("error.html", code=status, title=title or known_title, detail=detail or known_detail)
    return body, status, headers or {}


def page_for_error(exc: HTTPException):
    """An HTTP error on a staff page: a page for those PAGE_ERRORS words, else Werkzeug's own."""
    if exc.code not in PAGE_ERRORS:
        return exc
    return error_page(exc.code)


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
    from .fhir.outcome import echoed, error_response

    return error_response(exc.status, exc.issues, echoed(exc.headers))


def database_error(exc: sa_exc.SQLAlchemyError):
    return database_down(exc) if database_unavailable(exc) else unexpected(exc)


def _roll_back() -> None:
    from .extensions import db

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
    from .web.unavailable import database_down_page

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
    from .fhir.outcome import FhirError

    app.register_error_handler(Problem, problem)
    app.register_error_handler(FhirError, fhir_error)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(sa_exc.SQLAlchemyError, database_error)
    app.register_error_handler(Exception, unexpected)
