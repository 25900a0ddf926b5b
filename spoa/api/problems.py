"""Every API error is application/problem+json (RFC 9457): never HTML, never a
bare 500 for something a sender did."""
import logging

from flask import jsonify, render_template, request
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from spoa.platform.database import RETRY_AFTER_SECONDS, database_unavailable
from spoa.platform.safe_log import log_unexpected

PROBLEM_TYPES = {
    422: "/api/problems/validation-error",
    409: "/api/problems/conflict",
    412: "/api/problems/version-mismatch",
    429: "/api/problems/rate-limited",
    503: "/api/problems/unavailable",
}
log = logging.getLogger(__name__)


def _database_down(exc: Exception):
    from spoa.extensions import db

    # The class only: a database error's text may carry a statement, or the server's echo of values.
    log.warning("database unavailable during %s %s: %s", request.method, request.path,
                type(getattr(exc, "orig", None) or exc).__name__)
    try:
        db.session.rollback()  # nothing of this request is kept; the connection goes back to the pool
    except Exception:  # noqa: BLE001  (it is the database that is down: nothing more to do here)
        pass
    if not is_api_request():
        from spoa.web.unavailable import database_down_page

        return database_down_page()
    return problem_response(503, "The database cannot be reached just now; nothing was stored. "
                                 "Send the same request again after Retry-After seconds.",
                            title="Service unavailable", headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


class Problem(Exception):
    def __init__(self, status: int, detail: str, *, title: str | None = None,
                 errors: dict | None = None, headers: dict | None = None, type_: str | None = None):
        super().__init__(detail)
        self.status, self.detail, self.title = status, detail, title
        self.errors, self.headers, self.type = errors, headers or {}, type_


def problem_response(status: int, detail: str, title: str | None = None, errors=None,
                     headers=None, type_=None):
    from http import HTTPStatus

    body = {
        "type": type_ or PROBLEM_TYPES.get(status, "about:blank"),
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


PAGE_ERRORS = {
    # A form without its CSRF token, or one kept open past the session: say what to do.
    400: ("The form could not be sent",
          "It may have been open too long. Go back, reload the page and try again."),
    403: ("You do not have access to this page",
          "Your role does not allow this. If you need it for your work, ask an administrator."),
    404: ("Page not found", "Check the address, or go back to the home page."),
}


def page_for_error(exc: HTTPException):
    """Staff pages answer errors with a page in the site's own look, not a bare one."""
    if exc.code not in PAGE_ERRORS:
        return exc
    title, detail = PAGE_ERRORS[exc.code]
    return render_template("error.html", code=exc.code, title=title, detail=detail), exc.code


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def http_error(exc: HTTPException):
    """Any HTTP error (a 404, a 405, an abort): a page on staff pages, problem+json under /api."""
    if not is_api_request():
        return page_for_error(exc)
    headers = {}
    if exc.code == 405 and exc.valid_methods:
        headers["Allow"] = ", ".join(exc.valid_methods)
    return problem_response(exc.code, exc.description, headers=headers)


def init_app(app) -> None:
    @app.errorhandler(Problem)
    def _problem(exc: Problem):
        return problem_response(exc.status, exc.detail, exc.title, exc.errors, exc.headers, exc.type)

    app.register_error_handler(HTTPException, http_error)

    @app.errorhandler(sa_exc.SQLAlchemyError)
    def _database(exc: sa_exc.SQLAlchemyError):
        return _database_down(exc) if database_unavailable(exc) else _unexpected(exc)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        # Our fault, not the sender's: log it and answer in the client's language.
        log_unexpected(exc, f"{request.method} {request.path}")
        if not is_api_request():
            return render_template("error.html", code=500, title="Sorry, something went wrong on our side",
                                   detail="Nothing you typed caused this. Please try again; if it happens "
                                          "again, tell the duty supervisor."), 500
        return problem_response(500, "Something went wrong on our side; the referral was not stored. Please retry.")
