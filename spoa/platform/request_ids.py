"""Each request's id: the caller's X-Request-ID when it is a sensible token (a
proxy's or a sending system's, so their logs and ours join up), otherwise one
made here; set for every log line of the request and echoed in the answer."""
import re
import uuid

from flask import g, request

from spoa.platform.safe_log import reset_id, set_id

HEADER = "X-Request-ID"
# Letters, digits and . _ : - only, up to 128: anything else (spaces, quotes, control
# characters, a very long value) could forge or break a log line, and is replaced.
VALID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


def init_app(app) -> None:
    @app.before_request
    def _take_request_id():
        given = request.headers.get(HEADER, "")
        g.request_id = given if VALID.fullmatch(given) else uuid.uuid4().hex
        g.request_id_token = set_id("request_id", g.request_id)
        referral = _referral_in_path()
        if referral is not None:
            g.referral_id_token = set_id("referral_id", referral)

    @app.after_request
    def _echo_request_id(response):
        if "request_id" in g:
            # setdefault: the FHIR blueprint already echoes the BaRS X-Request-ID it validated.
            response.headers.setdefault(HEADER, g.request_id)
        return response

    @app.teardown_request
    def _drop_request_id(exc=None):
        for name in ("referral_id", "request_id"):
            token = g.pop(f"{name}_token", None)
            if token is not None:
                try:
                    reset_id(name, token)
                except ValueError:  # set in another context (a streamed answer's): it ends with that context
                    pass


def _referral_in_path() -> str | None:
    """A page or API call about one referral (/referrals/<referral_id>...): its id, if it is one."""
    value = (request.view_args or {}).get("referral_id")
    try:
        return str(uuid.UUID(str(value))) if value is not None else None
    except ValueError:
        return None
