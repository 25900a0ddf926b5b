"""OperationOutcome answers, in the format the sender asked for.

Every answer of the FHIR endpoint, success or refusal, is an OperationOutcome
with the BaRS http-error-codes (REC_*), so a sending system can act on it
without reading English; `expression` says where in the bundle the problem is.
"""
import json
import uuid

from flask import Response, g, request

ERROR_SYSTEM = "https://fhir.nhs.uk/Codesystem/http-error-codes"
JSON, XML = "application/fhir+json", "application/fhir+xml"
JSON_TYPES = ("application/fhir+json", "application/json", "application/json+fhir")
XML_TYPES = ("application/fhir+xml", "application/xml", "text/xml", "application/xml+fhir")

# HTTP status -> the BaRS receiver's code (the standard's http-error-codes).
REC_CODES = {
    400: "REC_BAD_REQUEST", 401: "REC_UNAUTHORIZED", 403: "REC_FORBIDDEN", 404: "REC_NOT_FOUND",
    405: "REC_METHOD_NOT_ALLOWED", 406: "REC_NOT_ACCEPTABLE", 408: "REC_TIMEOUT", 409: "REC_CONFLICT",
    413: "REC_PAYLOAD_TOO_LARGE", 415: "REC_UNSUPPORTED_MEDIA_TYPE", 422: "REC_UNPROCESSABLE_ENTITY",
    429: "REC_TOO_MANY_REQUESTS", 500: "REC_SERVER_ERROR", 503: "REC_UNAVAILABLE",
}
# HTTP status -> the FHIR issue type when the raiser names none.
ISSUE_TYPES = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported",
               406: "not-supported", 409: "conflict", 413: "too-long", 415: "not-supported",
               422: "processing", 429: "throttled", 500: "exception", 503: "transient"}


def echoed(headers: dict | None = None) -> dict:
    """X-Request-ID and X-Correlation-ID go back on every answer (BaRS receiver rule)."""
    out = dict(headers or {})
    out.update(g.get("fhir_echo", {}))
    return out


class FhirError(Exception):
    """A refusal: one or more issues, each (issue type, diagnostics, expression or None)."""

    def __init__(self, status: int, issues, headers: dict | None = None):
        super().__init__(issues[0][1] if issues else str(status))
        self.status, self.issues, self.headers = status, list(issues), headers or {}

    @classmethod
    def one(cls, status: int, code: str, diagnostics: str, expression: str | None = None, headers=None):
        return cls(status, [(code, diagnostics, expression)], headers)


def format_of(header: str | None) -> str | None:
    mimetype = (header or "").split(";", 1)[0].strip().lower()
    if mimetype in JSON_TYPES:
        return JSON
    if mimetype in XML_TYPES:
        return XML
    return None


def request_format() -> str | None:
    return format_of(request.headers.get("Content-Type"))


def answer_format() -> str:
    """What Accept asks for (parameters such as BaRS's version=1.4.0 ignored); else
    the request's own format; else JSON."""
    own = request_format() or JSON
    best, best_quality = None, 0.0
    for value, quality in request.accept_mimetypes:
        mimetype = value.split(";", 1)[0].strip().lower()
        found = own if mimetype in ("*/*", "application/*") else format_of(mimetype)
        if found and quality > best_quality:
            best, best_quality = found, quality
    return best or own


def outcome_body(status: int, issues, severity: str = "error") -> dict:
    rec = REC_CODES.get(status)
    body = {"resourceType": "OperationOutcome", "id": str(uuid.uuid4()), "issue": []}
    for code, diagnostics, expression in issues:
        issue = {"severity": severity, "code": code or ISSUE_TYPES.get(status, "processing")}
        if rec and severity != "information":
            issue["details"] = {"coding": [{"system": ERROR_SYSTEM, "code": rec}]}
        issue["diagnostics"] = diagnostics
        if expression:
            issue["expression"] = [expression]
        body["issue"].append(issue)
    return body


def render(resource: dict, status: int, headers: dict | None = None, fmt: str | None = None) -> Response:
    fmt = fmt or answer_format()
    if fmt == XML:
        from fhir.resources.R4B import get_fhir_model_class

        model = get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        data = model.model_dump_xml()
    else:
        data = json.dumps(resource, separators=(",", ":"))
    response = Response(data, status=status, mimetype=fmt)
    response.headers["Content-Type"] = f"{fmt}; charset=utf-8"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def error_response(status: int, issues, headers: dict | None = None) -> Response:
    return render(outcome_body(status, issues), status, headers)
