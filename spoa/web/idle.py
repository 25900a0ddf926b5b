"""The page's side of the idle timeout: each signed-in page (static/session.js) asks
how long its session has left shortly before it would end, warns the person a few
minutes ahead with a way to stay signed in, and says so when it has ended.

Asking is not activity (a page left open must still end); staying signed in is.
"""
from flask import current_app, jsonify

from spoa.web import bp
from spoa.web.security import passive, seconds_left, signed_out

WARN_SECONDS = 5 * 60  # ahead of the end: time to finish a sentence on the phone and press the button


def warn_seconds() -> int:
    """How long before the end the page warns: five minutes, or half the idle time if that is shorter."""
    return min(WARN_SECONDS, current_app.config["SESSION_IDLE_MINUTES"] * 30)


@bp.app_template_global()
def idle_settings() -> dict:
    """For base.html: what session.js needs to know when to ask."""
    return {"left": seconds_left(active=True), "warn": warn_seconds(),
            "idle_text": signed_out("idle")["reason"]}  # the server's words, never a copy in the script


@bp.get("/session")
@passive
def session_status():
    return jsonify(seconds_left=seconds_left())


@bp.post("/session/stay")
def stay_signed_in():
    """A press of "Stay signed in": activity, like any other request (web/security.py records it)."""
    return jsonify(seconds_left=seconds_left(active=True))
