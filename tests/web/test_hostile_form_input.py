"""What a person can type into a staff form is answered beside the field, never
with a 500: number boxes take the digits 0-9 only."""
import html

import pytest

from spoa.models import Referral, Service
from tests.support.data.referral_form import GOOD, post_form
from tests.support.signing_in import csrf_token

NOT_NUMBERS = ["²", "٣", "9" * 5000, "１２"]


@pytest.mark.parametrize("field", ["emas_category", "observations.news2", "observations.clinical_frailty_scale"])
@pytest.mark.parametrize("typed", NOT_NUMBERS)
def test_a_number_box_with_other_digits_is_a_message_beside_it(client, login_as, db, field, typed):
    login_as("call_handler")
    data = {**GOOD, field: typed, **({"source": "emas"} if field == "emas_category" else {})}
    response = post_form(client, data)
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    assert "Not a valid integer" in page
    assert db.session.query(Referral).count() == 0


def test_arabic_indic_digits_are_not_taken_as_a_news2_score(client, login_as, db):
    """int("٣") is 3: the form must not quietly store a score nobody typed in 0-9."""
    login_as("call_handler")
    assert post_form(client, {**GOOD, "observations.news2": "٣"}).status_code == 422


@pytest.mark.parametrize("field, typed, message", [
    ("patient.date_of_birth", "١٤/٠٣/١٩٣٨", "Enter the date of birth as day/month/year"),
    ("patient.date_of_birth", "١٩٣٨-٠٣-١٤", "Enter the date of birth as day/month/year"),
    ("patient.nhs_number", "٩٤٣ ٤٧٦ ٥٩١٩", "An NHS number is 10 digits"),
])
def test_dates_and_nhs_numbers_in_other_digits_are_refused_beside_the_field(client, login_as, db, field, typed,
                                                                            message):
    login_as("call_handler")
    response = post_form(client, {**GOOD, field: typed})
    assert response.status_code == 422
    assert message in html.unescape(response.get_data(as_text=True))
    assert db.session.query(Referral).count() == 0


def test_the_preview_of_a_form_with_other_digits_is_not_ready(client, login_as):
    login_as("call_handler")
    data = {**GOOD, "observations.news2": "²", "csrf_token": csrf_token(client, "/referrals/new")}
    response = client.post("/referrals/preview", data=data)
    assert response.status_code == 200 and response.get_json()["ready"] is False


@pytest.mark.parametrize("typed", NOT_NUMBERS)
def test_the_capacity_form_says_what_is_wrong_with_other_digits(client, login_as, db, typed):
    db.session.add(Service(code="crisis_response", name="Crisis response"))
    db.session.commit()
    login_as("supervisor")
    data = {"csrf_token": csrf_token(client, "/services/crisis_response/capacity"), "total": typed, "in_use": "1"}
    response = client.post("/services/crisis_response/capacity", data=data)
    assert response.status_code == 422
    assert db.session.query(Service).filter_by(code="crisis_response").one().capacity_total is None


def test_a_nul_in_a_form_is_a_400_page(client, login_as):
    login_as("call_handler")
    response = post_form(client, {**GOOD, "patient.given_name": "Ada\x00"})
    assert response.status_code == 400
    assert "NUL character" in html.unescape(response.get_data(as_text=True))


def test_a_page_event_with_a_version_in_other_digits_is_not_a_500(client, login_as, db):
    login_as("call_handler")
    post_form(client, GOOD)
    referral = db.session.query(Referral).one()
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login_as("supervisor")
    token = csrf_token(client, f"/referrals/{referral.id}")
    response = client.post(f"/referrals/{referral.id}/events",
                           data={"event": "cancel", "reason": "test", "version": "²", "csrf_token": token})
    assert response.status_code == 302
