"""The call handler's form: the API's validation, messages beside the fields, values kept."""
import html
import re
from datetime import UTC, datetime

from spoa.models import Referral
from tests.support.data.referral_form import GOOD, post_form
from tests.support.signing_in import csrf_token


def test_the_form_asks_for_every_part_of_a_referral_in_call_order(client, login_as):
    login_as("call_handler")
    page = client.get("/referrals/new").get_data(as_text=True)
    order = [page.index(f"<h2>{h}</h2>") for h in ("Who is referring", "Patient", "What has happened", "Red flags",
                                     "Observations", "Mental health", "Function", "Consent")]
    assert order == sorted(order)
    for field in re.findall(r'<input class="input[^"]*" id="([^"]+)"', page):
        assert f'<label class="label" for="{field}">' in page  # every input has its label


def test_a_phone_referral_is_saved_triaged_and_its_reference_shown(client, login_as, db):
    handler = login_as("call_handler")
    response = post_form(client, GOOD)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    referral = db.session.query(Referral).one()
    assert "Referral saved" in page and referral.reference[8:] in page
    assert "crisis response" in page and referral.rules_decision.explanation in html.unescape(page)
    assert (referral.channel, referral.created_by_user_id, referral.postcode) == ("form", handler.id, "NN1 5BD")
    assert referral.source_reference.startswith("PHONE-")
    assert referral.history[0].actor_name == "call_handler"


def test_a_ticked_red_flag_redirects_to_999(client, login_as, db):
    login_as("call_handler")
    post_form(client, {**GOOD, "red_flags": ["chest_pain"]})
    assert db.session.query(Referral).one().route == "emergency_redirect"


def test_a_form_with_every_field_wrong_shows_every_message_and_keeps_every_value(client, login_as, db):
    login_as("call_handler")
    wrong = {"source": "pigeon", "emas_category": "two", "patient.nhs_number": "943 476 5918",
             "patient.given_name": "", "patient.family_name": "x" * 101, "patient.date_of_birth": "31/02/1938",
             "patient.postcode": "nope", "presenting_need": "", "pathways_disposition": "D5",
             "observations.news2": "21", "observations.clinical_frailty_scale": "0", "consent": ""}
    response = post_form(client, wrong)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422 and "There is a problem" in page
    for path in ("source", "patient.nhs_number", "patient.given_name", "patient.family_name",
                 "patient.date_of_birth", "patient.postcode", "presenting_need", "pathways_disposition",
                 "observations.news2", "observations.clinical_frailty_scale", "consent"):
        assert f'id="{path}-error"' in page or f'href="#{path}"' in page, path
    for path in ("patient.nhs_number", "patient.family_name", "patient.date_of_birth", "patient.postcode",
                 "pathways_disposition", "observations.news2"):
        assert f'value="{wrong[path]}"' in page, path
    assert "fails its check digit" in page
    # The summary names each field the way the form labels it, and asks for what is missing.
    summary = page[page.index("There is a problem"):page.index("</div>", page.index("There is a problem"))]
    assert "Enter the patient's given name" in summary and "Select whether the patient has agreed" in summary
    assert "NHS number (if known): " in summary
    assert "Enter the date of birth as day/month/year" in summary
    assert "Missing data for required field" not in page and "patient nhs number" not in summary
    assert db.session.query(Referral).count() == 0


def test_a_blank_form_asks_for_each_required_field_by_name(client, login_as, db):
    login_as("call_handler")
    page = html.unescape(post_form(client, {}).get_data(as_text=True))
    for text in ("Select who the referral is from", "Enter the patient's given name",
                 "Enter the patient's family name", "Enter the patient's date of birth",
                 "Enter the patient's postcode", "Select the main need"):
        assert text in page
    assert 'id="patient.postcode-error"' in page  # beside the field too, not only in the summary


def test_a_uk_style_date_of_birth_is_understood_and_the_age_shown(frozen_now, client, login_as, db):
    login_as("call_handler")
    response = post_form(client, {**GOOD, "patient.date_of_birth": "14/03/1938"})
    referral = db.session.query(Referral).one()
    assert str(referral.date_of_birth) == "1938-03-14"
    with frozen_now(datetime(2027, 3, 13, 12, tzinfo=UTC)):
        assert "(age 88)" in client.get(response.headers["Location"]).get_data(as_text=True)
    with frozen_now(datetime(2027, 3, 14, 12, tzinfo=UTC)):  # the birthday
        assert "(age 89)" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_pressing_save_twice_stores_one_referral(client, login_as, db):
    login_as("call_handler")
    blank = client.get("/referrals/new").get_data(as_text=True)
    submission = re.search(r'name="submission_id" value="([0-9a-f]{32})"', blank).group(1)
    first = post_form(client, {**GOOD, "submission_id": submission})
    second = post_form(client, {**GOOD, "submission_id": submission})
    assert first.headers["Location"] == second.headers["Location"]
    assert db.session.query(Referral).count() == 1


def test_only_call_handlers_and_supervisors_enter_referrals(client, login_as):
    login_as("clinician", service="crisis_response")
    response = client.get("/referrals/new")
    assert response.status_code == 403
    assert "You do not have access to this page" in html.unescape(response.get_data(as_text=True))


def test_the_form_refuses_a_post_without_its_csrf_token(client, login_as, db):
    login_as("call_handler")
    assert post_form(client, GOOD, token=False).status_code == 400
    assert db.session.query(Referral).count() == 0


def test_the_form_needs_a_session(client):
    assert client.get("/referrals/new").status_code == 302


def test_the_preview_gives_the_route_and_why_without_storing_anything(client, login_as, db):
    login_as("call_handler")
    token = csrf_token(client, "/referrals/new")
    data = client.post("/referrals/preview", data={**GOOD, "csrf_token": token}).get_json()
    assert (data["ready"], data["route"], data["rule_id"]) == (True, "crisis_response", "ucr-condition")
    assert [c["name"] for c in data["clocks"]] == ["first_contact"]
    flagged = client.post("/referrals/preview", data={**GOOD, "red_flags": ["stroke_symptoms"], "csrf_token": token})
    assert flagged.get_json()["route"] == "emergency_redirect"
    half = client.post("/referrals/preview", data={"source": "gp", "patient.given_name": "Ada",
                                                     "csrf_token": token}).get_json()
    assert half["ready"] is False and half["missing"][:3] == ["Family name", "Date of birth", "Postcode"]
    assert db.session.query(Referral).count() == 0
