"""Signing in: sessions, lockout, CSRF, and pages closed to anyone not signed in."""
import re
from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from spoa.models import User

PASSWORD = "correct horse battery"
T0 = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def handler(db):
    user = User(username="handler", role="call_handler")
    user.set_password(PASSWORD)
    db.session.add(user)
    db.session.commit()
    return user


def csrf_token(client, path="/login"):
    page = client.get(path).get_data(as_text=True)
    return re.search(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def sign_in(client, username="handler", password=PASSWORD, next_path=None):
    url = "/login" + (f"?next={next_path}" if next_path else "")
    return client.post(url, data={"username": username, "password": password, "csrf_token": csrf_token(client)})


def test_a_page_without_a_session_sends_you_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=/")


def test_signing_in_opens_the_page_you_asked_for(client, handler):
    response = sign_in(client, next_path="/")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Signed in as handler" in page


def test_a_wrong_password_says_so_plainly_without_saying_which_part(client, handler):
    response = sign_in(client, password="wrong")
    page = response.get_data(as_text=True)
    assert response.status_code == 401
    assert "There is a problem" in page and "username or password is not right" in page
    assert sign_in(client, username="nobody").get_data(as_text=True).count("not right") == 1


def test_five_failures_in_15_minutes_lock_the_account_for_15_minutes(client, handler):
    with time_machine.travel(T0, tick=False):
        for _ in range(5):
            sign_in(client, password="wrong")
        locked = sign_in(client)  # the right password, but locked
    assert locked.status_code == 401 and "locked" in locked.get_data(as_text=True)
    with time_machine.travel(T0 + timedelta(minutes=16), tick=False):
        assert sign_in(client).status_code == 302


def test_failures_spread_over_more_than_15_minutes_do_not_lock(client, handler):
    for minute in (0, 5, 10, 14, 20):
        with time_machine.travel(T0 + timedelta(minutes=minute), tick=False):
            sign_in(client, password="wrong")
    with time_machine.travel(T0 + timedelta(minutes=21), tick=False):
        assert sign_in(client).status_code == 302


def test_an_admin_can_unlock_a_locked_account(app, client, handler):
    for _ in range(5):
        sign_in(client, password="wrong")
    result = app.test_cli_runner().invoke(args=["spoa", "unlock-user", "--username", "handler"])
    assert result.exit_code == 0, result.output
    assert sign_in(client).status_code == 302


def test_a_form_posted_without_its_csrf_token_is_refused(client, handler):
    response = client.post("/login", data={"username": "handler", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302  # not signed in


def test_sign_in_never_redirects_off_site(client, handler):
    response = sign_in(client, next_path="//evil.example/")
    assert response.headers["Location"] == "/"


def test_signing_out_ends_the_session(client, handler):
    sign_in(client)
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_pages_carry_security_headers_and_no_inline_script(client):
    response = client.get("/login")
    headers = response.headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
    assert "<script" not in response.get_data(as_text=True)


def test_the_session_cookie_is_httponly_and_samesite_lax(client, handler):
    response = sign_in(client)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_every_input_on_the_sign_in_page_has_a_label(client):
    page = client.get("/login").get_data(as_text=True)
    for field in ("username", "password"):
        assert f'<label class="label" for="{field}">' in page and f'id="{field}"' in page
