"""A second call about a patient with an open referral: warned before saving,
and the handler adds to it or goes on."""
import html
import re

import pytest

from spoa.models import Referral
from tests.support.data.referral_form import GOOD, post_form
from tests.support.signing_in import csrf_token

pytestmark = pytest.mark.both_databases


def referral_count(db):
    db.session.expire_all()
    return db.session.query(Referral).count()


def test_an_open_referral_for_the_same_nhs_number_is_shown_before_saving(client, login_as, db):
    login_as("call_handler")
    post_form(client, GOOD)
    first = db.session.query(Referral).one()
    again = post_form(client, {**GOOD, "patient.given_name": "Augusta"})  # same NHS number
    page = html.unescape(again.get_data(as_text=True))
    assert again.status_code == 200
    assert "This patient already has an open referral" in page
    assert f'action="/referrals/{first.id}/open-match"' in page and first.reference in page
    assert 'value="Augusta"' in page  # nothing typed is lost
    assert referral_count(db) == 1  # nothing stored until the handler chooses


def test_adding_to_the_open_referral_records_the_call_on_its_timeline(client, login_as, db):
    login_as("call_handler")
    post_form(client, GOOD)
    first = db.session.query(Referral).one()
    second_call = {**GOOD, "referrer.name": "Mrs P Lovelace", "description": "Now not eating either",
                   "duplicate_choice": f"add:{first.id}"}
    response = post_form(client, second_call)
    assert response.status_code == 302 and response.headers["Location"] == f"/referrals/{first.id}"
    assert referral_count(db) == 1
    page = html.unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "added to " + first.reference in page
    assert "Further call from Mrs P Lovelace" in page and "Now not eating either" in page


def test_going_on_saves_a_new_referral(client, login_as, db):
    login_as("call_handler")
    post_form(client, GOOD)
    response = post_form(client, {**GOOD, "duplicate_choice": "new"})
    assert response.status_code == 302
    assert referral_count(db) == 2


def test_without_a_choice_the_handler_is_asked_again(client, login_as, db):
    login_as("call_handler")
    post_form(client, GOOD)
    response = post_form(client, {**GOOD, "duplicate_choice": "add:not-one-of-them"})
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 409
    assert "Choose whether to add this call to the open referral" in page
    assert "duplicate choice:" not in page  # the summary asks; it does not name a field id
    assert referral_count(db) == 1


def test_without_an_nhs_number_name_birth_date_and_postcode_match(client, login_as, db):
    login_as("call_handler")
    no_number = {k: v for k, v in GOOD.items() if k != "patient.nhs_number"}
    post_form(client, no_number)
    same = post_form(client, {**no_number, "patient.given_name": "ADA", "patient.postcode": "NN15BD"})
    assert "already has an open referral" in same.get_data(as_text=True)
    other_postcode = post_form(client, {**no_number, "patient.postcode": "LE1 7RH"})
    assert other_postcode.status_code == 302
    # The same details with an NHS number still match a referral that had none.
    with_number = post_form(client, GOOD)
    assert "already has an open referral" in with_number.get_data(as_text=True)


def test_a_different_nhs_number_is_a_different_person_whatever_the_name(client, login_as, db):
    login_as("call_handler")
    post_form(client, GOOD)
    assert post_form(client, {**GOOD, "patient.nhs_number": "401 023 2137"}).status_code == 302


def test_a_closed_referral_is_not_a_duplicate(client, login_as, db):
    login_as("supervisor")
    post_form(client, GOOD)
    first = db.session.query(Referral).one()
    client.post(f"/referrals/{first.id}/events", data={
        "event": "cancel", "reason": "Entered in error", "version": str(first.version),
        "csrf_token": csrf_token(client, f"/referrals/{first.id}")})
    assert post_form(client, GOOD).status_code == 302
    assert referral_count(db) == 2


def test_the_preview_warns_of_an_open_referral_as_the_handler_types(client, login_as, db):
    login_as("call_handler")
    post_form(client, GOOD)
    first = db.session.query(Referral).one()
    token = csrf_token(client, "/referrals/new")
    data = client.post("/referrals/preview", data={**GOOD, "csrf_token": token}).get_json()
    assert [d["reference"] for d in data["duplicates"]] == [first.reference]
    assert re.fullmatch(r"/referrals/[0-9a-f-]{36}/open-match", data["duplicates"][0]["open_url"])
