"""A staff page's errors in the site's own look and a person's words (spoa/errors.py
decides when; this is how a page says it)."""
from http import HTTPStatus

from flask import render_template
from werkzeug.exceptions import HTTPException

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
