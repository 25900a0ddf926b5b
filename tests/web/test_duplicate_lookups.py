"""The duplicate check is bounded per person: DUPLICATE_LOOKUPS_PER_HOUR different
patients in a rolling hour from the form's preview; past it the preview answers 429
and says so, and Save still saves (and still warns of an open referral)."""
import html
import queue
from datetime import timedelta

import pytest

from spoa.models import PatientLookup, Referral
from spoa.platform.timekeeping import now
from tests.support.concurrently import at_once
from tests.support.data.referral_form import GOOD, nhs_numbers, post_form, preview
from tests.support.signing_in import csrf_token

pytestmark = pytest.mark.both_databases


def test_past_the_hours_allowance_the_preview_answers_429_and_the_form_still_saves(app, client, login_as, db):
    login_as("call_handler")
    allowance = app.config["DUPLICATE_LOOKUPS_PER_HOUR"]
    assert allowance == 30  # the default
    numbers = nhs_numbers(allowance + 1)
    for number in numbers[:allowance]:
        assert preview(client, {**GOOD, "patient.nhs_number": number}).status_code == 200
    refused = preview(client, {**GOOD, "patient.nhs_number": numbers[allowance]})
    body = refused.get_json()
    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 3600
    assert body["duplicates"] == [] and body["limit"].startswith(f"You have looked up {allowance} different patients")
    assert "Save still works" in body["limit"]
    assert body["ready"] and body["route"]  # where it would go is still shown: it looks nobody up
    # A patient already looked up this hour is not another: still checked.
    assert preview(client, {**GOOD, "patient.nhs_number": numbers[0]}).status_code == 200
    saved = post_form(client, {**GOOD, "patient.nhs_number": numbers[allowance]})
    assert saved.status_code == 302 and db.session.query(Referral).count() == 1


def test_a_save_past_the_allowance_still_warns_of_an_open_referral(app, client, login_as, db, monkeypatch):
    monkeypatch.setitem(app.config, "DUPLICATE_LOOKUPS_PER_HOUR", 1)
    login_as("call_handler")
    assert post_form(client, GOOD).status_code == 302  # the one look-up of the hour
    other = nhs_numbers(1)[0]
    assert preview(client, {**GOOD, "patient.nhs_number": other}).status_code == 429
    again = post_form(client, {**GOOD, "patient.given_name": "Augusta"})  # GOOD's patient: counted already
    assert "This patient already has an open referral" in html.unescape(again.get_data(as_text=True))
    twin = post_form(client, {**GOOD, "patient.nhs_number": other})
    assert twin.status_code == 302  # a save is never refused, even for a patient past the allowance


def test_the_same_patient_again_counts_once_and_the_hour_rolls_on(frozen_now, app, client, login_as, db, monkeypatch):
    monkeypatch.setitem(app.config, "DUPLICATE_LOOKUPS_PER_HOUR", 2)
    login_as("call_handler")
    first, second, third = nhs_numbers(3)
    start = now()
    for _ in range(5):  # the preview runs as fields change: one patient, one look-up
        assert preview(client, {**GOOD, "patient.nhs_number": first}).status_code == 200
    with frozen_now(start + timedelta(minutes=20)):
        assert preview(client, {**GOOD, "patient.nhs_number": second}).status_code == 200
        assert preview(client, {**GOOD, "patient.nhs_number": third}).status_code == 429
    with frozen_now(start + timedelta(minutes=40)):
        # Looked up again: its hour restarts.
        assert preview(client, {**GOOD, "patient.nhs_number": first}).status_code == 200
    with frozen_now(start + timedelta(minutes=61)):
        assert preview(client, {**GOOD, "patient.nhs_number": third}).status_code == 429  # first is still in the hour
    with frozen_now(start + timedelta(minutes=81)):
        assert preview(client, {**GOOD, "patient.nhs_number": third}).status_code == 200  # second has left it
    db.session.expire_all()
    assert db.session.query(PatientLookup).count() == 2  # what has left the hour is deleted


def test_each_person_has_their_own_allowance_and_no_number_is_stored_in_plain(app, client, login_as, db, monkeypatch):
    monkeypatch.setitem(app.config, "DUPLICATE_LOOKUPS_PER_HOUR", 1)
    login_as("call_handler", username="hana")
    assert preview(client, GOOD).status_code == 200
    assert preview(client, {**GOOD, "patient.nhs_number": nhs_numbers(1)[0]}).status_code == 429
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login_as("call_handler", username="harry")
    assert preview(client, {**GOOD, "patient.nhs_number": nhs_numbers(1)[0]}).status_code == 200
    keys = [row.patient_key for row in db.session.query(PatientLookup)]
    assert len(keys) == 2 and all(len(key) == 64 for key in keys)
    assert not any(digits in key for key in keys for digits in ("9434765919", nhs_numbers(1)[0]))


def test_without_an_nhs_number_the_names_birth_date_and_postcode_count(app, client, login_as, monkeypatch):
    monkeypatch.setitem(app.config, "DUPLICATE_LOOKUPS_PER_HOUR", 1)
    login_as("call_handler")
    no_number = {k: v for k, v in GOOD.items() if k != "patient.nhs_number"}
    assert preview(client, no_number).status_code == 200
    assert preview(client, {**no_number, "patient.given_name": "ADA"}).status_code == 200  # the same person
    assert preview(client, {**no_number, "patient.given_name": "Augusta"}).status_code == 429


def test_previews_at_the_same_moment_cannot_pass_the_allowance_together(app, client, login_as, db, monkeypatch):
    """The same person's previews in flight at once (two tabs, a slow network): counted
    one after another under their user row's lock, so the last place is taken once."""
    monkeypatch.setitem(app.config, "DUPLICATE_LOOKUPS_PER_HOUR", 2)
    login_as("call_handler")
    token = csrf_token(client, "/referrals/new")
    session_cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])  # the one session, in every thread
    numbers = queue.SimpleQueue()
    for number in nhs_numbers(6):
        numbers.put(number)
    db.session.rollback()  # the test's own read ends (on SQLite it would hold the write lock)

    def look(c):
        c.set_cookie(session_cookie.key, session_cookie.value)
        return c.post("/referrals/preview", data={**GOOD, "patient.nhs_number": numbers.get(),
                                                  "csrf_token": token}).status_code

    answers = at_once(app, 6, look)
    assert sorted(answers) == [200, 200, 429, 429, 429, 429]
    db.session.expire_all()
    assert db.session.query(PatientLookup).count() == 2
