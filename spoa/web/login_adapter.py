"""What SPOA relies on in Flask-Login beyond its documented API, in one place.

Flask-Login keeps the signed-in user's id (what User.get_id gives: the id with the
session token) in the session under a key of its own. The sign-in checks
(web/security.py) read it before any user is loaded, and for a session that has
just ended (whose user no longer loads); an event stream reads it once, to load its
user again as it runs. Tests that make many requests in one app context forget the
user Flask-Login loaded (kept in g), as a new request in production starts with
none. Nothing else reads or writes Flask-Login's state: tests/web/test_login_adapter.py
pins what this module assumes, so an upgrade that moves it fails a test rather than
signing everyone out.

A request that must not load its user (the database is away) says so with
load_no_user, and the user loader answers None: Flask-Login's documented way to
show a request as no one's.
"""
from flask import g, session

SESSION_KEY = "_user_id"  # where login_user keeps User.get_id() in the session
_NO_USER = "spoa_no_user"  # in g, ours: load_no_user
LOADED_USER = "_login_user"  # in g: the user Flask-Login loaded, for as long as the app context lasts


def session_user_id() -> str | None:
    """The user id this request's session holds, as login_user put it there (None: no one)."""
    return session.get(SESSION_KEY)


def has_session_user() -> bool:
    return SESSION_KEY in session


def load_no_user() -> None:
    """For the rest of this request the user is no one: the user loader (web/security.py)
    answers None without reading, which Flask-Login shows as no one signed in, leaving the
    session as it was. For a page answered while the database is away (web/unavailable.py)."""
    g.setdefault(_NO_USER, True)


def loading_no_user() -> bool:
    return bool(g.get(_NO_USER))


def load_users_again() -> None:
    g.pop(_NO_USER, None)


def forget_loaded_user() -> None:
    """The next current_user is loaded afresh (a request in production always starts so)."""
    g.pop(LOADED_USER, None)
