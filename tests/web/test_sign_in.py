"""Signing in: sessions, lockout, CSRF, and pages closed to anyone not signed in."""
import re
from datetime import UTC, datetime, timedelta

import pytest
import redis as redis_lib
from marshmallow import ValidationError

from spoa.models import AuditEvent, SignInFailures, User
from spoa.schemas.users import NewUserSchema
from spoa.services import users
from spoa.services.accounts import ACCOUNT_CAP, LOCK_FOR, MAX_FAILURES, MAX_WAIT, SLOW_AFTER
from spoa.web import csrf_adapter
from tests.support import signing_in
from tests.support.concurrently import at_once
from tests.support.people import PASSWORD
from tests.support.servers import another_app
from tests.support.signing_in import csrf_token

pytestmark = pytest.mark.both_databases

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture
def handler(db):
    user = User(username="handler", role="call_handler")
    user.set_password(PASSWORD)
    db.session.add(user)
    db.session.commit()
    return user


def sign_in(client, username="handler", **options):
    """handler (this file's person, unless another is named) signs in on ``client``."""
    return signing_in.sign_in(client, username, **options)


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


def test_five_failures_in_15_minutes_lock_the_account_from_that_address_for_15_minutes(frozen_now, client, handler):
    with frozen_now(T0):
        for _ in range(5):
            sign_in(client, password="wrong")
        locked = sign_in(client)  # the right password, but from the address that failed
    assert locked.status_code == 401 and client.get("/").status_code == 302
    with frozen_now(T0 + timedelta(minutes=16)):
        assert sign_in(client).status_code == 302


def test_twelve_wrong_passwords_from_one_address_and_the_real_user_signs_in_at_once_from_another(
        frozen_now, app, client, handler, db):
    attacker = "203.0.113.66"
    with frozen_now(T0):
        answers = [sign_in(client, password=f"guess{n}", address=attacker).status_code for n in range(12)]
        assert answers == [401] * 12
        # The attacker's address stays refused for the account, the right password included,
        # so the lock bounds the guesses made from there...
        assert sign_in(client, address=attacker).status_code == 401
        # ...and the real user, at their own desk, is not locked out at all.
        assert sign_in(client, address="198.51.100.20").status_code == 302
    db.session.expire_all()
    locks = db.session.query(SignInFailures).filter_by(user_id=handler.id).all()
    assert [(row.address, row.locked_until) for row in locks] == [(attacker, T0 + LOCK_FOR)]
    assert db.session.query(AuditEvent).filter_by(event="account_locked").one().detail == {
        "username": "handler", "address": attacker}
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    with frozen_now(T0 + LOCK_FOR + timedelta(seconds=1)):
        assert sign_in(client, address=attacker).status_code == 302  # the lock ends by itself


def test_failures_in_a_row_from_many_addresses_slow_the_account_and_never_lock_it(frozen_now, client, handler, db):
    """No address fails twice, so no address lock: what holds the guesser back is the
    account's own wait, which grows to one try a minute and, past ACCOUNT_CAP failures
    in a row, one every LOCK_FOR; it always ends, and then the right password gets in."""
    at = T0

    def fail(n):
        with frozen_now(at):
            assert sign_in(client, password="wrong", address=f"10.1.{n // 250}.{n % 250}").status_code == 401

    def failures_in_a_row():
        db.session.expire_all()
        return db.session.get(User, handler.id).failed_logins

    for n in range(SLOW_AFTER - 1):  # at once, from anywhere: no wait yet
        fail(n)
    assert failures_in_a_row() == SLOW_AFTER - 1
    fail(SLOW_AFTER)  # the run reaches SLOW_AFTER: the account waits a second before its next try
    with frozen_now(at):
        assert sign_in(client, address="198.51.100.20").status_code == 401  # refused unchecked...
    assert failures_in_a_row() == SLOW_AFTER  # ...and uncounted: the wait is not lengthened
    for n in range(SLOW_AFTER, ACCOUNT_CAP):
        at += MAX_WAIT  # the longest wait before ACCOUNT_CAP
        fail(n)
    assert failures_in_a_row() == ACCOUNT_CAP
    with frozen_now(at + MAX_WAIT):
        assert sign_in(client, address="198.51.100.20").status_code == 401  # now one try every LOCK_FOR
    with frozen_now(at + LOCK_FOR):
        assert sign_in(client, address="198.51.100.20").status_code == 302  # slowed, never locked
    assert failures_in_a_row() == 0
    slowed = db.session.query(AuditEvent).filter_by(event="account_slowed").order_by(AuditEvent.id).all()
    assert [event.detail["failures_in_a_row"] for event in slowed] == [SLOW_AFTER, ACCOUNT_CAP]


def test_failures_spread_over_more_than_15_minutes_do_not_lock(frozen_now, client, handler):
    for minute in (0, 5, 10, 14, 20):
        with frozen_now(T0 + timedelta(minutes=minute)):
            sign_in(client, password="wrong")
    with frozen_now(T0 + timedelta(minutes=21)):
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


def test_a_next_path_with_a_control_character_goes_home_not_to_a_500(client, handler):
    # A newline in a Location header would split the response; the server refuses it.
    response = sign_in(client, next_path="/worklist%0d%0aSet-Cookie:x=1")
    assert response.status_code == 302 and response.headers["Location"] == "/"


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


# --- the same answer for everyone refused ---------------------------------------------

def refusal(response) -> tuple[int, str]:
    """What someone refused sees: the status and the error summary's words."""
    summary = re.search(r'<div class="error-summary".*?</div>', response.get_data(as_text=True), re.S)
    return response.status_code, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", summary.group(0))).strip()


def test_unknown_wrong_deactivated_and_locked_get_the_same_answer(app, client, handler, db):
    gone = User(username="gone", role="call_handler", is_active=False)
    gone.set_password(PASSWORD)
    locked = User(username="locked", role="call_handler")
    locked.set_password(PASSWORD)
    db.session.add_all([gone, locked])
    db.session.commit()
    for _ in range(MAX_FAILURES):
        sign_in(client, username="locked", password="wrong")
    assert db.session.scalar(db.select(SignInFailures.locked_until).join(User).where(
        User.username == "locked")) is not None
    slowed = User(username="slowed", role="call_handler", failed_logins=SLOW_AFTER + 5,
                  locked_until=T0.replace(year=2999))
    slowed.set_password(PASSWORD)
    db.session.add(slowed)
    db.session.commit()
    answers = {
        "wrong password": refusal(sign_in(client, password="wrong")),
        "unknown user": refusal(sign_in(client, username="nobody", password="wrong")),
        "deactivated, wrong password": refusal(sign_in(client, username="gone", password="wrong")),
        "deactivated, right password": refusal(sign_in(client, username="gone")),
        "locked, wrong password": refusal(sign_in(client, username="locked", password="wrong")),
        # Not told "locked" either: that would confirm a guessed password while the lock holds.
        "locked, right password": refusal(sign_in(client, username="locked")),
        "slowed, right password": refusal(sign_in(client, username="slowed")),
    }
    assert len(set(answers.values())) == 1, answers
    status, words = answers["unknown user"]
    assert status == 401 and "username or password is not right" in words


def test_every_refusal_costs_one_password_hash_check_an_unknown_username_included(
        real_password_cost, app, client, handler, db, monkeypatch):
    """The slow part of a sign-in is the scrypt check: an unknown name pays it too, so the
    answer's time does not tell which usernames exist. (Counted, not timed: these machines
    are shared and noisy.) The check is against a hash of the real method and cost (the
    app's own, real_password_cost: not the suite's cheaper one)."""
    from spoa.services import accounts

    checked = []

    def counting(pwhash, password):
        checked.append(pwhash.split("$", 1)[0])  # the method and its parameters
        return real_check(pwhash, password)

    real_check = accounts.check_password_hash
    monkeypatch.setattr(accounts, "check_password_hash", counting)
    ghost = User(username="ghost", role="call_handler", is_active=False)
    ghost.set_password(PASSWORD)
    db.session.add(ghost)
    db.session.commit()
    for username, password in (("handler", "wrong"), ("nobody", "wrong"), ("ghost", PASSWORD)):
        checked.clear()
        assert sign_in(client, username=username, password=password).status_code == 401
        assert checked == [handler.password_hash.split("$", 1)[0]], username


# --- address locks, counted in the database ------------------------------------------------

def test_concurrent_wrong_passwords_lock_the_account_exactly_once(app, client, handler, db):
    # As many at once as lock it: each must count (none lost to another's write)...
    at_once(app, MAX_FAILURES, lambda c: sign_in(c, password="wrong"))
    db.session.expire_all()
    here = db.session.get(SignInFailures, (handler.id, "127.0.0.1"))
    assert here.locked_until is not None, f"{here.failures} counted of {MAX_FAILURES} at once"
    assert db.session.get(User, handler.id).failed_logins == MAX_FAILURES
    db.session.rollback()  # the test's read ends (on SQLite, it holds the write lock)
    # ...and many more while it is locked count nothing and lock nothing again.
    answers = at_once(app, 2 * MAX_FAILURES, lambda c: sign_in(c, password="wrong").status_code)
    assert answers == [401] * (2 * MAX_FAILURES)
    db.session.expire_all()
    assert db.session.get(SignInFailures, (handler.id, "127.0.0.1")).failures == 0
    assert db.session.get(User, handler.id).failed_logins == MAX_FAILURES  # nothing more counted
    assert db.session.query(AuditEvent).filter_by(event="account_locked").count() == 1
    assert sign_in(client).status_code == 401  # the right password: still locked from here


def test_a_burst_of_wrong_passwords_never_counts_past_the_limit(app, client, handler, db):
    answers = at_once(app, 2 * MAX_FAILURES, lambda c: sign_in(c, password="wrong").status_code)
    assert answers == [401] * (2 * MAX_FAILURES)
    db.session.expire_all()
    here = db.session.get(SignInFailures, (handler.id, "127.0.0.1"))
    assert here.locked_until is not None and 0 <= here.failures < MAX_FAILURES
    assert db.session.get(User, handler.id).failed_logins == MAX_FAILURES
    assert db.session.query(AuditEvent).filter_by(event="account_locked").count() == 1


# --- usernames -----------------------------------------------------------------------

def test_usernames_are_kept_in_one_form_and_signed_in_with_in_any_case(app, client, db):
    ada = User(username="ada", role="admin")
    ada.set_password(PASSWORD)
    db.session.add(ada)
    db.session.commit()
    data = NewUserSchema().load({"username": "  Sam.Jones ", "role": "call_handler", "password": PASSWORD})
    user = users.create_user(**data, by=ada)
    assert user.username == "sam.jones"
    assert sign_in(client, username="SAM.JONES").status_code == 302


@pytest.mark.parametrize("name", ["si\u00e2n", "\u0430da", "sam jones", "-sam", "sam\u202e"])
def test_a_username_outside_ascii_letters_digits_and_dot_dash_underscore_is_refused(db, name):
    with pytest.raises(ValidationError) as refused:
        NewUserSchema().load({"username": name, "role": "call_handler", "password": PASSWORD})
    assert refused.value.messages == {"username": [
        "A username is letters a to z, digits and . _ - only, starting with a letter or digit"]}
    assert db.session.query(User).count() == 0


# --- the per-address throttle ----------------------------------------------------------

def test_too_many_failed_sign_ins_from_one_address_are_answered_429(app, client, handler, monkeypatch):
    monkeypatch.setitem(app.config, "SIGN_IN_ATTEMPTS_PER_ADDRESS", 4)
    for name in ("a", "b", "c", "d"):  # different names: the accounts' lockout is not what stops it
        assert sign_in(client, username=name, password="wrong").status_code == 401
    response = sign_in(client, password="wrong")  # a fifth failure from here
    page = response.get_data(as_text=True)
    assert response.status_code == 429 and 0 < int(response.headers["Retry-After"]) <= 300
    assert "Too many failed sign-ins from this computer" in page and "Wait" in page
    # Having failed on this account from here lately, even its right password waits out the window...
    assert sign_in(client).status_code == 429
    csrf_adapter.forget_token()  # another browser: not this one's token (the tests share one app context)
    from_elsewhere = app.test_client()
    from_elsewhere.environ_base["REMOTE_ADDR"] = "10.0.0.9"
    assert sign_in(from_elsewhere).status_code == 302  # ...but only from here


def test_the_right_password_gets_through_the_address_throttle_after_others_failed_there(
        app, client, handler, db, monkeypatch):
    """A call centre behind one NAT address: colleagues' mistyped passwords use up the
    address's allowance, and someone who has not failed still signs in."""
    monkeypatch.setitem(app.config, "SIGN_IN_ATTEMPTS_PER_ADDRESS", 3)
    for name in ("colleague1", "colleague2", "colleague3"):
        colleague = User(username=name, role="call_handler")
        colleague.set_password(PASSWORD)
        db.session.add(colleague)
    db.session.commit()
    statuses = [sign_in(client, username=name, password="typo").status_code
                for name in ("colleague1", "colleague2", "colleague3", "colleague1", "nobody", "nobody")]
    assert statuses == [401, 401, 401, 429, 429, 429]  # the address's allowance: three failures
    assert sign_in(client, username="colleague2", password="typo").status_code == 429
    assert sign_in(client).status_code == 302  # handler had not failed from here


def test_successful_sign_ins_do_not_use_up_the_address_allowance(app, client, handler, monkeypatch):
    monkeypatch.setitem(app.config, "SIGN_IN_ATTEMPTS_PER_ADDRESS", 2)
    for _ in range(4):  # staff behind one address signing in one after another
        assert sign_in(client).status_code == 302
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})


def test_with_redis_down_sign_in_works_and_the_lockout_still_holds(app, client, handler, monkeypatch):
    dead = redis_lib.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2, socket_timeout=0.2)
    monkeypatch.setitem(app.extensions, "spoa_redis", dead)
    monkeypatch.setitem(app.config, "SIGN_IN_ATTEMPTS_PER_ADDRESS", 2)
    assert sign_in(client).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    for _ in range(MAX_FAILURES):
        assert sign_in(client, password="wrong").status_code == 401  # never 429: the throttle fails open
    assert sign_in(client).status_code == 401  # locked, in the database


def _app_behind_proxy(app, hops: str):
    other = another_app(app, PROXY_FIX_HOPS=hops, SIGN_IN_ATTEMPTS_PER_ADDRESS="2")
    other.config["WTF_CSRF_ENABLED"] = False  # the token is not what is tested
    return other


@pytest.mark.parametrize("hops, second_person_gets_in", [("1", True), ("0", False)],
                         ids=["behind a proxy", "direct: forwarded headers ignored"])
def test_the_throttle_counts_each_persons_address_behind_a_proxy_and_cannot_be_dodged_without_one(
        app, handler, redis, hops, second_person_gets_in):
    """Behind a TLS proxy every request comes from the proxy's address: with PROXY_FIX_HOPS the
    forwarded address is counted instead. Without a proxy, a forged X-Forwarded-For changes nothing."""
    proxied = _app_behind_proxy(app, hops)
    client = proxied.test_client()

    def attempt(address, password):
        return client.post("/login", data={"username": "handler", "password": password},
                           headers={"X-Forwarded-For": address}, environ_base={"REMOTE_ADDR": "127.0.0.1"})

    for _ in range(2):
        assert attempt("203.0.113.7", "wrong").status_code == 401
    assert attempt("203.0.113.7", PASSWORD).status_code == 429
    assert (attempt("198.51.100.4", PASSWORD).status_code == 302) is second_person_gets_in


@pytest.mark.parametrize("target", ["/\\evil.example", "//evil.example", "https://evil.example/", "/\\\\x", "http://[x"])
def test_sign_in_never_sends_you_off_the_site(client, handler, target):
    response = client.post(f"/login?next={target}", data={
        "username": "handler", "password": PASSWORD, "csrf_token": csrf_token(client)})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_a_forwarded_address_longer_than_any_ip_is_counted_not_a_500(app, db, handler, redis):
    """Only a misconfigured proxy passes on what the client wrote, but then the address is
    anything: it is still counted (cut to the column's size), never a database error."""
    client = _app_behind_proxy(app, "1").test_client()
    long_one = "2001:db8::" + "f" * 90
    assert client.post("/login", data={"username": "handler", "password": "wrong"},
                       headers={"X-Forwarded-For": long_one}).status_code == 401
    db.session.rollback()
    assert [row.address for row in db.session.query(SignInFailures)] == [long_one[:64]]
