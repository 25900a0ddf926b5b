"""Reading a request body and headers into validated data, or a precise problem."""
import re

from flask import current_app, request
from marshmallow import ValidationError
from werkzeug.exceptions import BadRequest

from rules.digits import ascii_int
from spoa.platform.problem import Problem
from spoa.schemas.errors import flatten_errors


def json_body() -> object:
    """415 if not JSON, 413 if too large (raised by Flask), 400 if malformed."""
    if not request.is_json:
        raise Problem(415, "Send the referral as JSON with Content-Type: application/json.")
    try:
        return request.get_json(force=False, silent=False)
    except BadRequest:
        raise Problem(400, "The body is not well-formed JSON.") from None
    except RecursionError:
        # Arrays or objects nested thousands deep (they fit in 64 KiB): no referral is.
        raise Problem(400, "The body is nested too deeply to be a referral.") from None


def load(schema, payload) -> dict:
    if not isinstance(payload, dict):
        raise Problem(422, "The body must be a JSON object.", errors={"_body": ["Must be a JSON object."]})
    try:
        return schema.load(payload)
    except ValidationError as exc:
        errors = flatten_errors(exc.messages)
        fields = ", ".join(sorted(errors))
        raise Problem(422, f"Invalid or unexpected values at: {fields}.", errors=errors) from None


def body() -> dict:
    """The JSON body, loaded by the schema the view documents (openapi.operation's ``body``)."""
    return load(_documented("body"), json_body())


def query() -> dict:
    """The query string, loaded by the schema the view documents (openapi.operation's ``query``)."""
    return load(_documented("query"), request.args.to_dict())


def _documented(part: str):
    return current_app.view_functions[request.endpoint].loads[part]


_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


def idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not _KEY.match(key):
        raise Problem(400, "Idempotency-Key must be 1 to 255 visible ASCII characters.")
    return key


def if_match_version() -> int | None:
    """If-Match: "3" (or W/"3", or 3) -> 3."""
    value = request.headers.get("If-Match")
    if value is None:
        return None
    text = value.strip()
    text = text[2:] if text.startswith("W/") else text
    text = text.strip('"')
    version = ascii_int(text, most=9)  # no referral reaches version 10**9
    if version is None:
        raise Problem(400, 'If-Match must carry the referral\'s version, for example If-Match: "3".')
    return version
