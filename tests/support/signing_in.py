"""Signing in as a person does, for every kind of test: a Flask test client (``sign_in``;
the root conftest's ``login_as`` fixture makes the user first), a requests session against
a live server (``signed_in_session``) and a browser page (``sign_in_page``)."""
import re

from flask import has_app_context
from flask.testing import FlaskClient

from tests.support.people import PASSWORD

_CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, path="/login"):
    """The CSRF token of the form on ``path``, as the page gives it."""
    from spoa.web import csrf_adapter

    if has_app_context():  # made now, not cached from earlier (tests share one app context; time moves)
        csrf_adapter.forget_token()
    page = client.get(path).get_data(as_text=True)
    return _CSRF_INPUT.search(page).group(1)


def sign_in(client, username, password=PASSWORD, next_path=None, address=None):
    """The sign-in form posted by ``client``: the answer. ``address``: the request's remote
    address (the test client's is 127.0.0.1)."""
    url = "/login" + (f"?next={next_path}" if next_path else "")
    return client.post(url, data={"username": username, "password": password, "csrf_token": csrf_token(client)},
                       environ_base={"REMOTE_ADDR": address} if address else {})


def signed_in_session(base_url, username, password=PASSWORD):
    """A requests session signed in to the server at ``base_url``."""
    import requests

    session = requests.Session()
    token = _CSRF_INPUT.search(session.get(f"{base_url}/login").text).group(1)
    response = session.post(f"{base_url}/login", data={"username": username, "password": password,
                                                       "csrf_token": token}, allow_redirects=False)
    assert response.status_code == 302
    return session


def sign_in_page(page, username, lands="**/", password=PASSWORD):
    """A browser page signed in through the sign-in page, once it has landed on ``lands``."""
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.press("#password", "Enter")
    page.wait_for_url(lands)
    return page


def open_live_queue(page, username):
    """A supervisor's queue page, signed in and with its live stream connected."""
    sign_in_page(page, username)
    page.goto("/queue")
    page.locator("#live-status[data-state=live]").wait_for()
    return page


class Browser(FlaskClient):
    """One person's own browser. The tests share one app context (the db fixture's), so
    Flask-Login's cached user and Flask-WTF's token in g would pass from one request to
    the next, whoever makes it: here each request starts afresh, as in production."""

    def open(self, *args, **kwargs):
        from spoa.web import csrf_adapter, login_adapter

        login_adapter.forget_loaded_user()
        csrf_adapter.forget_token()
        try:
            return super().open(*args, **kwargs)
        finally:
            login_adapter.forget_loaded_user()
            csrf_adapter.forget_token()


def other_browser(app):
    """A second person's browser on ``app``."""
    return Browser(app, app.response_class)
