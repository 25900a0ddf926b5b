"""What SPOA assumes of Flask-Login beyond its documented API (spoa/web/login_adapter.py),
pinned here: where login_user keeps the user's id, that Flask-Login loads the user
from there with our loader, and that the user it loaded is kept in g until forgotten.
An upgrade that changes any of these fails here, not in production."""
from flask import g, session
from flask_login import current_user, login_user, logout_user

from spoa.web import login_adapter, security
from tests.support.people import make_user


def test_sign_in_keeps_the_user_id_where_the_adapter_reads_it(app, db):
    sam = make_user(db)
    with app.test_request_context("/"):
        assert login_adapter.session_user_id() is None and not login_adapter.has_session_user()
        login_user(sam)
        assert session[login_adapter.SESSION_KEY] == sam.get_id()
        assert login_adapter.session_user_id() == sam.get_id() and login_adapter.has_session_user()
        logout_user()
        assert not login_adapter.has_session_user()


def test_a_session_holding_an_id_there_is_that_users_through_our_loader(app, db):
    sam, other = make_user(db), make_user(db, "other")
    with app.test_request_context("/"):
        login_adapter.forget_loaded_user()
        session[login_adapter.SESSION_KEY] = sam.get_id()
        assert current_user.id == sam.id
        assert security.load_user(sam.get_id()) == sam  # what the event streams call
        login_adapter.forget_loaded_user()  # else the user loaded above is kept for the app context
        session[login_adapter.SESSION_KEY] = other.get_id()
        assert current_user.id == other.id
        login_adapter.forget_loaded_user()
        session[login_adapter.SESSION_KEY] = f"{sam.id}:a-token-it-does-not-hold"
        assert not current_user.is_authenticated
        login_adapter.forget_loaded_user()


def test_the_user_loaded_is_kept_in_g_where_the_adapter_forgets_it(app, db):
    sam = make_user(db)
    with app.test_request_context("/"):
        login_adapter.forget_loaded_user()
        session[login_adapter.SESSION_KEY] = sam.get_id()
        assert current_user.id == sam.id
        assert login_adapter.LOADED_USER in g
        login_adapter.forget_loaded_user()
        assert login_adapter.LOADED_USER not in g


def test_load_no_user_shows_the_request_as_no_ones_and_keeps_the_session(app, db):
    """A page answered while the database is away (web/unavailable.py) asks for no user."""
    sam = make_user(db)
    with app.test_request_context("/"):
        login_adapter.forget_loaded_user()
        session[login_adapter.SESSION_KEY] = sam.get_id()
        login_adapter.load_no_user()
        assert not current_user.is_authenticated
        assert session[login_adapter.SESSION_KEY] == sam.get_id()  # not signed out by a database blip
        login_adapter.forget_loaded_user()
    with app.test_request_context("/"):  # the next request, in the same app context, loads its user again
        session[login_adapter.SESSION_KEY] = sam.get_id()
        assert current_user.id == sam.id
        login_adapter.forget_loaded_user()
