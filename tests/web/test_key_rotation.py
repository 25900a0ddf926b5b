"""Rotating SECRET_KEY signs nobody out: the old key, kept in SECRET_KEY_FALLBACKS,
still reads the sessions it signed (Flask 3.1), until it is dropped."""
import pytest

from spoa.web import login_adapter


@pytest.fixture
def session_keys(app):
    before = app.config["SECRET_KEY"], app.config["SECRET_KEY_FALLBACKS"]
    yield
    app.config["SECRET_KEY"], app.config["SECRET_KEY_FALLBACKS"] = before


def _get(client, path):
    """A request that reads its session afresh: the db fixture's app context outlives
    requests here, and Flask-Login keeps the user it loaded in g (a new request in
    production starts with none)."""
    login_adapter.forget_loaded_user()
    return client.get(path)


def test_a_session_signed_with_the_old_key_holds_while_that_key_is_a_fallback(client, app, login_as, session_keys):
    login_as("supervisor")
    assert _get(client, "/reports").status_code == 200
    cookie = app.config["SESSION_COOKIE_NAME"]
    signed_with_old = client.get_cookie(cookie).value
    old = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"], app.config["SECRET_KEY_FALLBACKS"] = "new-" + "n" * 40, [old]
    assert _get(client, "/reports").status_code == 200  # still signed in: no one is thrown out by a rotation
    assert client.get_cookie(cookie).value != signed_with_old  # and the answer re-signed it with the new key
    app.config["SECRET_KEY_FALLBACKS"] = []  # the old key dropped ...
    assert _get(client, "/reports").status_code == 200  # ... whoever came back meanwhile is signed in still
    stale = app.test_client()
    stale.set_cookie(cookie, signed_with_old)  # ... and a cookie only the old key signed is worth nothing
    response = _get(stale, "/reports")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
