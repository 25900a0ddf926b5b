"""Nothing typed is lost: a new-referral form saved after its session ended, or with a
token that no longer matches its session, is kept for the person who typed it, and shown
again (saying nothing was saved) when they are signed in; never to anyone else."""
import re
from datetime import UTC, datetime, timedelta

import pytest

from spoa.models import FormStash, Referral
from tests.support.data.referral_form import GOOD
from tests.support.pages import text
from tests.support.people import make_user
from tests.support.signing_in import sign_in

T0 = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)

NOT_SAVED = "Your referral was not saved: your session had ended. Check the details and press Save."


def hidden(page: str, name: str) -> str:
    return re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page).group(1)


def open_form(client, path="/referrals/new") -> dict:
    """The blank form's hidden fields, as a browser holds them while someone types."""
    page = client.get(path).get_data(as_text=True)
    return {name: hidden(page, name) for name in ("csrf_token", "submission_id", "form_owner")}


def typed(form: dict, **more) -> dict:
    return {**GOOD, **form, "description": "Fell in the kitchen, on the floor an hour", **more}


def save_after_the_session_idled_out(mine, clock) -> tuple[dict, object]:
    """Sign in, open the new-referral form, type, and press Save 31 minutes later (past the
    idle limit): the form's hidden fields and the answer to the Save."""
    sign_in(mine, "sam")
    form = open_form(mine)
    clock.move_to(T0 + timedelta(minutes=31))
    response = mine.post("/referrals/new", data=typed(form), headers={"Referer": "http://localhost/referrals/new"})
    return form, response


def test_a_save_after_the_session_idled_out_is_shown_again_after_sign_in_and_saves_once(frozen_now, db, browser):
    make_user(db)
    mine = browser()
    with frozen_now(T0) as clock:
        form, response = save_after_the_session_idled_out(mine, clock)
        assert response.status_code == 302 and response.headers["Location"] == "/login?next=/referrals/new"
        assert db.session.query(Referral).count() == 0
        login = text(mine.get(response.headers["Location"]))
        assert "signed out after 30 minutes without activity" in login
        assert "Nothing you typed is lost: sign in again and the form comes back with it." in login
        back = sign_in(mine, "sam", next_path="/referrals/new")
        page = text(mine.get(back.headers["Location"]))
        assert NOT_SAVED in page
        assert 'value="Lovelace"' in page and "Fell in the kitchen, on the floor an hour" in page
        assert hidden(page, "submission_id") == form["submission_id"]  # so a second Save cannot store it twice
        assert db.session.query(FormStash).count() == 0  # deleted once shown
        again = text(mine.get("/referrals/new"))
        assert NOT_SAVED not in again and "Lovelace" not in again  # shown once
        fresh = {name: hidden(page, name) for name in ("csrf_token", "submission_id", "form_owner")}
        saved = mine.post("/referrals/new", data=typed(fresh))
        assert saved.status_code == 302 and "saved=1" in saved.headers["Location"]
        assert mine.post("/referrals/new", data=typed(fresh)).status_code == 302  # pressed twice
        assert db.session.query(Referral).one().family_name == "Lovelace"


def test_the_kept_form_is_sealed_and_never_shown_to_someone_else_signing_in_on_that_browser(
        frozen_now, db, browser):
    make_user(db)
    make_user(db, username="ben")
    mine = browser()
    with frozen_now(T0) as clock:
        save_after_the_session_idled_out(mine, clock)
        row = db.session.query(FormStash).one()
        assert "Lovelace" not in row.sealed and "943" not in row.sealed  # sealed at rest
        sign_in(mine, "ben")
        page = text(mine.get("/referrals/new"))
        assert "Lovelace" not in page and NOT_SAVED not in page
        # Nor later to its owner on this browser: ben's visit let go of the key.
        mine.post("/logout", data={"csrf_token": hidden(page, "csrf_token")})
        sign_in(mine, "sam")
        assert "Lovelace" not in text(mine.get("/referrals/new"))


def test_a_kept_form_is_gone_after_its_time(frozen_now, app, db, browser):
    make_user(db)
    mine = browser()
    with frozen_now(T0) as clock:
        save_after_the_session_idled_out(mine, clock)
        clock.move_to(T0 + timedelta(minutes=31 + app.config["FORM_STASH_MINUTES"], seconds=1))
        sign_in(mine, "sam")
        assert "Lovelace" not in text(mine.get("/referrals/new"))
        assert db.session.query(FormStash).count() == 0  # pruned


def test_a_save_with_a_token_from_before_a_new_sign_in_is_shown_again_at_once(db, browser):
    """Signed out (or timed out) in this tab, signed in again in another, then Save in this one:
    the form's token is the old session's. What was typed comes back, nothing saved."""
    make_user(db)
    mine = browser()
    sign_in(mine, "sam")
    form = open_form(mine)
    sign_in(mine, "sam")  # a new session: a new token
    response = mine.post("/referrals/new", data=typed(form))
    assert response.status_code == 302 and response.headers["Location"] == "/referrals/new"
    page = text(mine.get("/referrals/new"))
    assert "Your referral was not saved: the form had expired" in page
    assert 'value="Lovelace"' in page
    assert db.session.query(Referral).count() == 0


def test_a_save_after_the_session_cookie_went_is_kept_for_the_forms_owner(db, browser, app):
    """The page's stream ended the session first (its cookie gone): the form itself names who typed it."""
    make_user(db)
    mine = browser()
    sign_in(mine, "sam")
    form = open_form(mine, "/referrals/new/discharge")
    with mine.session_transaction() as session:
        session.clear()
    response = mine.post("/referrals/new/discharge", data={**form, "kind": "discharge", "patient.family_name": "Hopper",
                                                          "discharge.ward": "Ward 7"})
    assert response.status_code == 302 and response.headers["Location"] == "/referrals/new/discharge"
    assert mine.get("/referrals/new/discharge").headers["Location"].startswith("/login")
    sign_in(mine, "sam")
    page = text(mine.get("/referrals/new/discharge"))
    assert "Your referral was not saved" in page and 'value="Hopper"' in page and 'value="Ward 7"' in page


@pytest.mark.parametrize("owner", ["", "forged", "signed by another key"])
def test_a_form_naming_nobody_verifiable_is_refused_as_before_and_nothing_kept(db, browser, app, owner):
    make_user(db)
    mine = browser()
    sign_in(mine, "sam")
    form = open_form(mine)
    if owner == "signed by another key":
        from itsdangerous import URLSafeTimedSerializer

        owner = URLSafeTimedSerializer("another key", salt="spoa.form-owner").dumps(1)
    with mine.session_transaction() as session:
        session.clear()
    response = mine.post("/referrals/new", data=typed(form, form_owner=owner))
    assert response.status_code == 400 and "The form could not be sent" in text(response)
    assert db.session.query(FormStash).count() == 0


def test_a_form_open_for_hours_still_saves(frozen_now, db, browser, app):
    """The token no longer ages on its own: only the session's limits end it."""
    make_user(db)
    mine = browser()
    with frozen_now(T0) as clock:
        sign_in(mine, "sam")
        form = open_form(mine)
        for minutes in range(25, 3 * 60, 25):  # a long shift of calls, the form open throughout
            clock.move_to(T0 + timedelta(minutes=minutes))
            assert mine.get("/").status_code == 200
        response = mine.post("/referrals/new", data=typed(form))
        assert response.status_code == 302 and "saved=1" in response.headers["Location"]


def test_a_post_without_a_token_or_the_forms_signed_owner_keeps_nothing_even_signed_in(db, browser):
    """What CSRF protection is for (a post from elsewhere riding the session): refused, nothing kept."""
    make_user(db)
    mine = browser()
    sign_in(mine, "sam")
    response = mine.post("/referrals/new", data=typed({}))
    assert response.status_code == 400
    assert db.session.query(FormStash).count() == 0
