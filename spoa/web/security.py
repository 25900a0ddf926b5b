"""Sessions, CSRF and the headers every page carries.

A session is a signed cookie holding the user's id with their session token
(User.get_id) and two timestamps: when they signed in and when they were last
seen. Each request checks all three on the server: the token against the users
row (sign-out, a password reset or deactivation replace it, ending every session
of that user, copied cookies too), idleness (SESSION_IDLE_MINUTES) and age
(SESSION_MAX_HOURS, a shift). The cookie's own expiry is only a backstop.
"""
from urllib.parse import urlsplit

from flask import current_app, flash, g, jsonify, redirect, request, session, url_for
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy import select

from rules.digits import is_ascii_digits
from spoa.extensions import db
from spoa.live import stream
from spoa.models import User
from spoa.models.user import same_token
from spoa.platform.timekeeping import now
from spoa.web import csrf_adapter, form_stash, login_adapter
from spoa.web.error_pages import page_for_error
from spoa.web.login_adapter import has_session_user, session_user_id

login_manager = LoginManager()
csrf = CSRFProtect()

# No inline script or style anywhere: the CSP allows only our own files.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'; object-src 'none'")
# Sent only where TLS is in front (config HSTS): a year, this host and every one below it.
HSTS = "max-age=31536000; includeSubDomains"
PUBLIC_ENDPOINTS = {"web.login", "health.health", "metrics.metrics", "static"}  # metrics: its own guard
SIGNED_IN_AT, SEEN_AT = "signed_in_at", "seen_at"  # whole seconds since the epoch


def _now() -> int:
    return int(now().timestamp())  # the app's one clock (spoa/platform/timekeeping.py), in whole seconds


def start_session(user: User) -> None:
    """Sign ``user`` in on a fresh session: nothing put in it before (by anyone) survives."""
    kept = session.get(form_stash.KEY)  # a form kept for whoever typed it: form_stash shows it to them alone
    session.clear()
    csrf_adapter.forget_token()  # the cleared session's
    login_user(user)
    session[SIGNED_IN_AT] = session[SEEN_AT] = _now()
    if kept:
        session[form_stash.KEY] = kept


def end_session() -> None:
    logout_user()
    session.clear()
    csrf_adapter.forget_token()
    g.pop("session_seen_at", None)


def passive(view):
    """Mark a view that is checked like any page but is not someone at the keyboard
    (the page asking how long its session has left). Event streams need no mark."""
    view.passive = True
    return view


def _is_activity(response) -> bool:
    view = current_app.view_functions.get(request.endpoint)
    return not getattr(view, "passive", False) and not stream.is_stream(response)


def seconds_left(active: bool = False) -> int:
    """How long this request's session has before it ends, idle or at its lifetime's
    end: from when it was last seen, as the request brought it (asking is not
    activity), or from now if this request is ``active``."""
    config, at = current_app.config, _now()
    seen_at = at if active else session.get(SEEN_AT, at)
    return max(0, min(seen_at + config["SESSION_IDLE_MINUTES"] * 60 - at,
                      session.get(SIGNED_IN_AT, at) + config["SESSION_MAX_HOURS"] * 3600 - at))


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
    if not (is_ascii_digits(user_id, most=9) and token):  # an int4 id
        return None
    return int(user_id), token


def load_user(alternative_id) -> User | None:
    """Flask-Login's user loader: the active user holding this session token, else None.
    An event stream calls it too, to load its user again as it runs. None, without
    reading, once this request has found the database away (web/unavailable.py): its
    page is then shown as to no one in particular rather than failing again."""
    if login_adapter.loading_no_user():
        return None
    parts = _split(alternative_id)
    if parts is None:
        return None
    user = db.session.get(User, parts[0])
    return user if user is not None and user.is_active and user.holds_session(parts[1]) else None


def session_ended_because() -> str | None:
    """Why the session this request came with no longer holds now ("idle", "max" or
    "ended": its user gone, deactivated or holding another session token), or None.

    For a long-lived response (the event stream) to call as it runs. It judges
    idleness by the session as the request brought it, since a stream is not
    activity: a stream open longer than the idle timeout ends, and the browser's
    reconnect carries the newest cookie (still valid if the person has been
    using other pages). It reads the users row on a connection of its own, so it
    leaves the caller's database session as it was."""
    if (why := _expired(_now())) is not None:
        return why
    if (parts := _split(session_user_id())) is None:
        return "ended"
    user_id, token = parts
    with db.engine.connect() as connection:
        row = connection.execute(select(User.session_token, User.is_active).where(User.id == user_id)).first()
    return None if row is not None and row.is_active and same_token(row.session_token, token) else "ended"


def session_still_valid() -> bool:
    return session_ended_because() is None


def signed_out(reason: str) -> dict:
    """What a stream tells its page when the session has ended: the page says so (static/session.js)."""
    return {"reason": _signed_out_because(reason), "signed_out": True}


def closed_event(otherwise: str) -> dict:
    """A stream's last word: the session's end if that is why, else ``otherwise``."""
    why = session_ended_because()
    return signed_out(why) if why else {"reason": otherwise}


def _signed_out_because(reason: str) -> str:
    config = current_app.config
    minutes = config["SESSION_IDLE_MINUTES"]
    return {
        "idle": f"You were signed out after {minutes} minute{'' if minutes == 1 else 's'} without activity. "
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

    login_manager.user_loader(load_user)

    @app.teardown_request
    def _user_loader_back(_exc):
        login_adapter.load_users_again()  # load_no_user lasts one request, however the app context is shared

    @app.before_request
    def _require_session():
        g.pop("session_seen_at", None)  # this request's own, never one left by another
        # The API authenticates each request itself (bearer tokens) and is not a form.
        if request.blueprint in BEARER_BLUEPRINTS or request.endpoint is None:
            return None
        if request.endpoint in PUBLIC_ENDPOINTS:
            # Sign-in itself, reached with a session that has run out (a page's "Sign in
            # again"): end it first, so the page is no longer shown as to that person and
            # its form's token is not bound to a session the next request will end.
            if request.endpoint == "web.login" and has_session_user() and (reason := _expired(_now())):
                end_session()
                flash(_signed_out_because(reason))
            return None
        if has_session_user():
            at = _now()
            reason = _expired(at) or (None if current_user.is_authenticated else "ended")
            if reason:
                typed_by = _split(session_user_id())  # the ended session's user, signed in its cookie
                end_session()
                flash(_signed_out_because(reason))
                if (kind := _keeps_typing()) and form_stash.keep(kind, request.form, form_stash.SESSION_ENDED,
                                                                 typed_by[0] if typed_by else None):
                    flash(form_stash.KEPT_FOR_SIGN_IN)
                return _to_sign_in(reason)
            g.session_seen_at = at  # recorded once the answer is known not to be a stream
            return None
        if not current_user.is_authenticated:
            return _to_sign_in("ended")
        return None

    def _keeps_typing() -> str | None:
        """The form kind whose typing this request's view keeps (web/form_stash.py), if a POST to one."""
        view = current_app.view_functions.get(request.endpoint)
        return getattr(view, "keeps_typing", None) if request.method == "POST" else None

    @app.errorhandler(CSRFError)
    def _stale_form(exc):
        """A kept form whose token no longer matches its session (the session ended and
        went, or a new sign-in replaced it): keep what was typed and show it again,
        after sign-in if need be. Any other form: the page that says what to do."""
        # Only a form this app served names its owner (signed): a post without a good token
        # and without that is what CSRF protection is for, and keeps nothing.
        if (kind := _keeps_typing()) and form_stash.keep(kind, request.form, form_stash.TOKEN_STALE):
            if not current_user.is_authenticated:
                flash(form_stash.KEPT_FOR_SIGN_IN)
            return redirect(request.full_path.rstrip("?"))
        return page_for_error(exc)

    def _to_sign_in(reason):
        # An EventSource, or a page's script asking for JSON, cannot follow a redirect to
        # a page: tell the page instead, which says so (static/session.js).
        if stream.is_stream():
            return stream.response(stream.sse("closed", signed_out(reason)))
        if request.accept_mimetypes.best == "application/json":
            return jsonify(signed_out(reason)), 401
        return redirect(url_for("web.login", next=_come_back_to()))

    @app.after_request
    def _record_activity(response):
        at = g.pop("session_seen_at", None)
        if at is not None and has_session_user() and _is_activity(response):
            session[SEEN_AT] = at
        return response

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

    # The API and FHIR take bearer tokens, not cookies: CSRF does not apply to them
    # (registered before this: spoa/__init__.py).
    for name in BEARER_BLUEPRINTS:
        csrf.exempt(app.blueprints[name])
