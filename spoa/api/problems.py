"""problem+json (RFC 9457): how the API words an error. Which errors, and when,
is spoa/errors.py's: it renders each with problem_response under /api."""
from http import HTTPStatus

from flask import jsonify

PROBLEM_TYPES = {
    422: "/api/problems/validation-error",
    409: "/api/problems/conflict",
    412: "/api/problems/version-mismatch",
    429: "/api/problems/rate-limited",
    503: "/api/problems/unavailable",
}


def problem_response(status: int, detail: str, title: str | None = None, errors=None,
                     headers=None, type_=None):
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
