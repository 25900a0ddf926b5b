"""How sessions end: sign-out, a password reset and deactivation end every session
of the user (a copied cookie too); an idle timeout and a shift-long lifetime,
checked on the server; nothing from before sign-in survives it."""
from datetime import UTC, datetime, timedelta

import pytest

from spoa.models import User
from spoa.services import users
from spoa.web import login_adapter, security
from tests.support import signing_in
from tests.support.pages import text
from tests.support.people import NEW_PASSWORD, make_user
from tests.support.signing_in import csrf_token, other_browser

T0 = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


def sign_in(client, username="sam", **options):
    """sam (this file's person, unless another is named) signs in on ``client``."""
    return signing_in.sign_in(client, username, **options)


def sign_out(client):
    return client.post("/logout", data={"csrf_token": csrf_token(client, "/")})


def signed_in(client, path="/") -> bool:
    response = client.get(path)
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/login")
        return False
    assert response.status_code == 200
    return True


def copy_of_cookie(app, client):
    other = other_browser(app)
    other.set_cookie("session", client.get_cookie("session").value)
    return other


def test_a_cookie_copied_before_sign_out_does_not_work_after_it(app, db, browser):
    make_user(db)
    mine = browser()
    assert sign_in(mine).status_code == 302
    copied = copy_of_cookie(app, mine)
    assert signed_in(copied)  # the copy is as good as the original until then...
    assert sign_out(mine).status_code == 302
    response = copied.get("/referrals/new")
    assert response.status_code == 302 and response.headers["Location"] == "/login?next=/referrals/new"
    assert "Your session has ended" in text(copied.get(response.headers["Location"]))
    assert not signed_in(copied)


def test_signing_out_ends_the_users_other_sessions_too(db, browser):
    make_user(db)
    desk, tablet = browser(), browser()
    sign_in(desk)
    sign_in(tablet)
    assert signed_in(tablet)
    sign_out(desk)
    assert not signed_in(tablet)


def test_a_password_reset_ends_the_users_other_sessions(db, browser):
    sam = make_user(db)
    make_user(db, username="ada", role="admin")
    theirs, admins = browser(), browser()
    sign_in(theirs)
    sign_in(admins, username="ada")
    assert signed_in(theirs)
    response = admins.post(f"/admin/users/{sam.id}/password",
                           data={"password": NEW_PASSWORD, "csrf_token": csrf_token(admins, "/admin/users")})
    assert response.status_code == 303
    assert not signed_in(theirs)
    assert signed_in(admins)  # the admin's own session is not the one reset
    assert sign_in(theirs, password=NEW_PASSWORD).status_code == 302


def test_a_password_reset_from_the_services_layer_ends_sessions_too(app, db, browser):
    sam = make_user(db)
    ada = make_user(db, username="ada", role="admin")
    theirs = browser()
    sign_in(theirs)
    assert signed_in(theirs)
    users.reset_password(sam, NEW_PASSWORD, by=ada)
    assert not signed_in(theirs)


def test_reactivating_a_user_does_not_bring_back_a_session_from_before(db, browser):
    sam = make_user(db)
    ada = make_user(db, username="ada", role="admin")
    theirs = browser()
    sign_in(theirs)
    assert signed_in(theirs)
    users.set_user_active(sam, False, by=ada)
    users.set_user_active(sam, True, by=ada)
    assert not signed_in(theirs)


def test_31_minutes_without_activity_signs_you_out_and_keeps_where_you_were(frozen_now, db, browser):
    make_user(db)
    mine = browser()
    with frozen_now(T0) as clock:
        sign_in(mine)
        clock.move_to(T0 + timedelta(minutes=29))
        assert signed_in(mine)  # activity: the half hour starts again
        clock.move_to(T0 + timedelta(minutes=29 + 29))
        assert signed_in(mine)
        clock.move_to(T0 + timedelta(minutes=29 + 29 + 31))
        response = mine.get("/referrals/new?source=gp")
        assert response.status_code == 302
        assert response.headers["Location"] == "/login?next=/referrals/new?source%3Dgp"
        page = text(mine.get(response.headers["Location"]))
        assert "You were signed out after 30 minutes without activity" in page
        assert not signed_in(mine)
        back = sign_in(mine, next_path="/referrals/new")
        assert back.headers["Location"] == "/referrals/new"


def test_a_form_posted_after_the_session_ran_out_returns_to_the_page_it_was_on(frozen_now, db, browser):
    make_user(db)
    mine = browser()
    with frozen_now(T0) as clock:
        sign_in(mine)
        token = csrf_token(mine, "/referrals/new")
        clock.move_to(T0 + timedelta(minutes=31))
        response = mine.post("/referrals/new", data={"csrf_token": token},
                             headers={"Referer": "http://localhost/referrals/new?source=gp"})
        assert response.status_code == 302
        assert response.headers["Location"] == "/login?next=/referrals/new?source%3Dgp"


def test_a_form_posted_after_the_session_ran_out_with_a_referer_that_is_no_url_goes_to_sign_in(
        frozen_now, db, browser):
    make_user(db)
    mine = browser()
    with frozen_now(T0) as clock:
        sign_in(mine)
        token = csrf_token(mine, "/referrals/new")
        clock.move_to(T0 + timedelta(minutes=31))
        response = mine.post("/referrals/new", data={"csrf_token": token}, headers={"Referer": "http://[x"})
        assert response.status_code == 302 and response.headers["Location"] == "/login"


def test_the_idle_timeout_is_configurable(frozen_now, app, db, browser, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", 5)
    make_user(db)
    mine = browser()
    with frozen_now(T0) as clock:
        sign_in(mine)
        clock.move_to(T0 + timedelta(minutes=6))
        assert not signed_in(mine)


def test_12_hours_and_a_minute_after_sign_in_you_are_signed_out_however_active(frozen_now, db, browser):
    make_user(db)
    mine = browser()
    with frozen_now(T0) as clock:
        sign_in(mine)
        for minutes in range(25, 12 * 60 + 1, 25):
            clock.move_to(T0 + timedelta(minutes=minutes))
            assert signed_in(mine), minutes
        clock.move_to(T0 + timedelta(hours=12, minutes=1))
        response = mine.get("/")
        assert response.status_code == 302
        assert "a session lasts at most 12 hours" in text(mine.get(response.headers["Location"]))


def test_nothing_put_in_the_session_before_sign_in_is_there_after_it(db, browser):
    make_user(db)
    mine = browser()
    mine.get("/login")
    with mine.session_transaction() as session:
        session["planted"] = "by someone who handed you this cookie"
        session[login_adapter.SESSION_KEY] = "999:guessed"
    sign_in(mine)
    with mine.session_transaction() as session:
        assert "planted" not in session
        assert session[login_adapter.SESSION_KEY].startswith(f"{db.session.query(User).one().id}:")


def test_an_open_event_stream_is_not_activity(frozen_now, app, db, browser):
    make_user(db, username="sue", role="supervisor")
    mine = browser()
    with frozen_now(T0) as clock:
        sign_in(mine, username="sue")
        clock.move_to(T0 + timedelta(minutes=20))
        stream = mine.get("/queue/events", buffered=False)
        assert stream.status_code == 200 and stream.mimetype == "text/event-stream"
        stream.close()
        clock.move_to(T0 + timedelta(minutes=31))  # 11 minutes after the stream began, 31 after the last page
        assert not signed_in(mine)


def test_session_still_valid_tells_a_long_lived_response_when_its_session_has_ended(frozen_now, app, db, browser):
    make_user(db)
    mine = browser()

    def still_valid():
        with app.test_request_context("/queue/events",
                                      headers={"Cookie": f"session={mine.get_cookie('session').value}"}):
            return security.session_still_valid()

    with frozen_now(T0) as clock:
        sign_in(mine)
        assert still_valid()
        clock.move_to(T0 + timedelta(minutes=31))
        assert not still_valid()  # idle, judged by the session the stream began with
        clock.move_to(T0)
        assert still_valid()
        copied = copy_of_cookie(app, mine)
        sign_out(mine)
        mine = copied
        assert not still_valid()  # signed out elsewhere


def test_a_legacy_cookie_holding_only_the_user_id_is_refused(app, db, browser):
    sam = make_user(db)
    mine = browser()
    mine.get("/login")
    with mine.session_transaction() as session:
        session[login_adapter.SESSION_KEY] = str(sam.id)  # what Flask-Login kept before session tokens
    assert not signed_in(mine)


def _seen_at(client) -> int:
    with client.session_transaction() as session:
        return session[security.SEEN_AT]


@pytest.mark.parametrize("role, path", [("call_handler", "/notifications/events"), ("supervisor", "/queue/events")],
                         ids=["inbox badge", "queue"])
def test_a_stream_request_does_not_move_the_sessions_seen_at(frozen_now, db, browser, role, path):
    """Every page opens the badge's stream, and a browser reopens a stream by itself after a
    blip: a (re)connect must not count as someone at the keyboard."""
    make_user(db, role=role)
    mine = browser()
    with frozen_now(T0) as clock:
        sign_in(mine)
        clock.move_to(T0 + timedelta(minutes=20))
        stream = mine.get(path, buffered=False, headers={"Accept": "text/event-stream"})
        assert stream.status_code == 200 and stream.mimetype == "text/event-stream"
        stream.close()
        assert _seen_at(mine) == int(T0.timestamp())
        clock.move_to(T0 + timedelta(minutes=29))
        mine.get("/session", headers={"Accept": "application/json"}).close()  # the page asking: not activity either
        assert _seen_at(mine) == int(T0.timestamp())
        clock.move_to(T0 + timedelta(minutes=31))
        assert not signed_in(mine)


def test_a_stream_reopened_after_the_session_ended_tells_the_page_why(frozen_now, db, browser):
    make_user(db)
    mine = browser()
    with frozen_now(T0) as clock:
        sign_in(mine)
        clock.move_to(T0 + timedelta(minutes=31))
        stream = mine.get("/notifications/events", headers={"Accept": "text/event-stream"})
        assert stream.status_code == 200 and stream.mimetype == "text/event-stream"
        body = stream.get_data(as_text=True)
        assert body.startswith("event: closed\n")
        assert '"signed_out":true' in body and "signed out after 30 minutes without activity" in body


def test_the_page_can_ask_how_long_is_left_and_stay_signed_in(frozen_now, db, browser):
    make_user(db)
    mine = browser()
    asks = {"Accept": "application/json"}
    with frozen_now(T0) as clock:
        sign_in(mine)
        token = csrf_token(mine, "/")
        clock.move_to(T0 + timedelta(minutes=26))
        assert mine.get("/session", headers=asks).get_json() == {"seconds_left": 4 * 60}
        stayed = mine.post("/session/stay", headers={**asks, "X-CSRFToken": token})
        assert stayed.get_json() == {"seconds_left": 30 * 60}
        clock.move_to(T0 + timedelta(minutes=26 + 29))
        assert mine.get("/session", headers=asks).get_json() == {"seconds_left": 60}
        clock.move_to(T0 + timedelta(minutes=26 + 31))
        ended = mine.get("/session", headers=asks)
        assert ended.status_code == 401 and ended.get_json()["signed_out"] is True
        assert "after 30 minutes without activity" in ended.get_json()["reason"]


def test_the_page_script_is_given_the_servers_words_for_an_idle_end(app, db, browser, monkeypatch):
    # static/session.js says them when it finds the session ended without being told why.
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", 1)
    make_user(db)
    mine = browser()
    sign_in(mine)
    assert ('data-idle-text="You were signed out after 1 minute without activity. Sign in again to carry on."'
            in mine.get("/").get_data(as_text=True))
