"""What SPOA relies on in Flask-Login beyond its documented API, in one place.

Flask-Login keeps the signed-in user's id (what User.get_id gives: the id with the
session token) in the session under a key of its own. The sign-in checks
(web/security.py) read it before any user is loaded, and for a session that has
just ended (whose user no longer loads); an event stream reads it once, to load its
user again as it runs. Tests that make many requests in one app context forget the
user Flask-Login loaded (kept in g), as a new request in production starts with
none. Nothing else here reads or writes Flask-Login's state:
tests/web/test_login_adapter.py pins what this module assumes, so an upgrade that
moves it fails a test rather than signing everyone out.
"""
from flask import g, session

SESSION_KEY = "_user_id"  # where login_user keeps User.get_id() in the session
LOADED_USER = "_login_user"  # in g: the user Flask-Login loaded, for as long as the app context lasts


def session_user_id() -> str | None:
    """The user id this request's session holds, as login_user put it there (None: no one)."""
    return session.get(SESSION_KEY)


def has_session_user() -> bool:
    return SESSION_KEY in session


def forget_loaded_user() -> None:
    """The next current_user is loaded afresh (a request in production always starts so)."""
    g.pop(LOADED_USER, None)
