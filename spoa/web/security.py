"""Sessions, CSRF and the headers every page carries.

A session is a signed cookie holding the user's id with their session token
(User.get_id) and two timestamps: when they signed in and when they were last
seen. Each request checks all three on the server: the token against the users
row (sign-out, a password reset or deactivation replace it, ending every session
of that user, copied cookies too), idleness (SESSION_IDLE_MINUTES) and age
(SESSION_MAX_HOURS, a shift). The cookie's own expiry is only a backstop.
"""
from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, request, session, url_for
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import select

from ..clocks import now
from ..extensions import db
from ..models import User
from ..models.user import same_token

login_manager = LoginManager()
csrf = CSRFProtect()

# No inline script or style anywhere: the CSP allows only our own files.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'; object-src 'none'")
# Sent only where TLS is in front (config HSTS): a year, this host and every one below it.
HSTS = "max-age=31536000; includeSubDomains"
PUBLIC_ENDPOINTS = {"web.login", "health.health", "metrics.metrics", "static"}  # metrics: its own guard
# Checked like any page but not counted as activity: an event stream open on a
# screen (and reconnecting by itself) is not someone at the keyboard.
PASSIVE_ENDPOINTS = {"web.queue_events"}
SIGNED_IN_AT, SEEN_AT = "signed_in_at", "seen_at"  # whole seconds since the epoch


def _now() -> int:
    return int(now().timestamp())  # the app's one clock (spoa/clocks.py), in whole seconds


def start_session(user: User) -> None:
    """Sign ``user`` in on a fresh session: nothing put in it before (by anyone) survives."""
    session.clear()
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)  # the cleared session's token
    login_user(user)
    session[SIGNED_IN_AT] = session[SEEN_AT] = _now()


def end_session() -> None:
    logout_user()
    session.clear()
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)


def _expired(at: int) -> str | None:
    """Why this request's session has run out by ``at``: "idle", "max", or None."""
    signed_in_at, seen_at = session.get(SIGNED_IN_AT), session.get(SEEN_AT)
    if not isinstance(signed_in_at, int) or not isinstance(seen_at, int):
        return "ended"  # a cookie from before sessions had timestamps
    if at - signed_in_at > current_app.config["SESSION_MAX_HOURS"] * 3600:
        return "max"
    if at - seen_at > current_app.config["SESSION_IDLE_MINUTES"] * 60:
        return "idle"
    return None


def _split(alternative_id) -> tuple[int, str] | None:
    """(user id, session token) from User.get_id's form, or None for anything else."""
    user_id, _, token = str(alternative_id or "").partition(":")
    if not (user_id.isascii() and user_id.isdigit() and len(user_id) < 10 and token):  # an int4 id
        return None
    return int(user_id), token


def session_still_valid() -> bool:
    """Whether the session this request came with still holds now: not idle, not
    past its lifetime, and its user still active with the same session token.

    For a long-lived response (the event stream) to call as it runs. It judges
    idleness by the session as the request brought it, since a stream is not
    activity: a stream open longer than the idle timeout ends, and the browser's
    reconnect carries the newest cookie (still valid if the person has been
    using other pages). It reads the users row on a connection of its own, so it
    leaves the caller's database session as it was."""
    if _expired(_now()) is not None or (parts := _split(session.get("_user_id"))) is None:
        return False
    user_id, token = parts
    with db.engine.connect() as connection:
        row = connection.execute(select(User.session_token, User.is_active).where(User.id == user_id)).first()
    return row is not None and row.is_active and same_token(row.session_token, token)


def _signed_out_because(reason: str) -> str:
    config = current_app.config
    return {
        "idle": f"You were signed out after {config['SESSION_IDLE_MINUTES']} minutes without activity. "
                "Sign in again to carry on.",
        "max": f"You were signed out because a session lasts at most {config['SESSION_MAX_HOURS']} hours. "
               "Sign in again to carry on.",
        "ended": "Your session has ended (you signed out, or your password or account was changed). "
                 "Sign in again to carry on.",
    }[reason]


def _come_back_to() -> str | None:
    """Where sign-in should return to: this page, or for a form posted after the
    session ran out, the page the form was on (its address cannot be opened again)."""
    if request.method in ("GET", "HEAD"):
        return request.full_path.rstrip("?")
    try:
        referrer = urlsplit(request.referrer or "")
    except ValueError:  # a Referer that is no URL at all (http://[x): nowhere to come back to
        return None
    if referrer.netloc == request.host and referrer.path.startswith("/"):
        return referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return None


# Blueprints that authenticate each request with a bearer token: no session, no CSRF.
BEARER_BLUEPRINTS = ("api", "fhir")


def init_app(app) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "web.login"
    login_manager.login_message = "Please sign in to see that page."
    csrf.init_app(app)

    @login_manager.user_loader
    def load_user(alternative_id):
        parts = _split(alternative_id)
        if parts is None:
            return None
        user = db.session.get(User, parts[0])
        return user if user is not None and user.is_active and user.holds_session(parts[1]) else None

    @app.before_request
    def _require_session():
        # The API authenticates each request itself (bearer tokens) and is not a form.
        if request.blueprint in BEARER_BLUEPRINTS or request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
            return None
        if "_user_id" in session:
            at = _now()
            reason = _expired(at) or (None if current_user.is_authenticated else "ended")
            if reason:
                end_session()
                flash(_signed_out_because(reason))
                return redirect(url_for("web.login", next=_come_back_to()))
            if request.endpoint not in PASSIVE_ENDPOINTS:
                session[SEEN_AT] = at
            return None
        if not current_user.is_authenticated:
            return redirect(url_for("web.login", next=_come_back_to()))
        return None

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if current_app.config.get("HSTS"):
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        if request.endpoint != "static":
            # Patient data, on pages and in the API's and FHIR's answers alike: not in any cache
            # (a browser's, a proxy's, a sending system's HTTP library's).
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    # The API takes bearer tokens, not cookies: CSRF does not apply to it.
    from ..api import bp as api_bp
    from ..fhir import bp as fhir_bp

    csrf.exempt(api_bp)
    csrf.exempt(fhir_bp)
