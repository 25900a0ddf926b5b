"""The admin pages for a hospital: a ward user with their hospital, a hospital's system."""
import pytest

from spoa.models import ApiClient, User
from tests.support.admin_pages import add_api_client, post
from tests.support.pages import text
from tests.support.people import NEW_PASSWORD
from tests.support.signing_in import other_browser, sign_in


@pytest.fixture
def admin(login_as):
    return login_as("admin")


def add_ward_user(client, **fields):
    data = {"username": "wendy", "role": "ward", "hospital_ods": "rns01", "password": NEW_PASSWORD}
    return post(client, "/admin/users", "/admin/users", **{**data, **fields})


def test_an_admin_adds_a_ward_user_who_signs_in_to_their_hospitals_list(app, client, admin, db):
    response = add_ward_user(client)
    assert response.status_code == 303
    page = text(client.get(response.headers["Location"]))
    assert "Created ward wendy" in page and "<td>RNS01</td>" in page
    assert db.session.query(User).filter_by(username="wendy").one().hospital_ods == "RNS01"
    ward = other_browser(app)
    signed_in = sign_in(ward, "wendy", NEW_PASSWORD)
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/ward"


@pytest.mark.parametrize("fields, message", [
    ({"hospital_ods": ""}, "A ward user belongs to one hospital: enter its ODS code"),
    ({"role": "call_handler"}, "Only a ward user belongs to a hospital"),
    ({"hospital_ods": "R1"}, "An ODS code is 3 to 6 letters or digits"),
    ({"hospital_ods": "RNS 01"}, "An ODS code is 3 to 6 letters or digits"),
])
def test_a_ward_users_hospital_mistake_is_beside_its_field(client, admin, db, fields, message):
    response = add_ward_user(client, **fields)
    page = text(response)
    assert response.status_code == 422
    assert 'id="hospital_ods-error"' in page and 'href="#hospital_ods"' in page and message in page
    assert 'aria-describedby="hospital_ods-hint hospital_ods-error"' in page
    assert db.session.query(User).count() == 1  # the admin alone


def test_an_admin_issues_a_hospitals_system(client, admin, db):
    response = add_api_client(client, name="ngh-epr", sources=["acute"], hospital_ods="RNS01")
    assert response.status_code == 201 and 'id="new-token"' in response.get_data(as_text=True)
    row = db.session.query(ApiClient).filter_by(name="ngh-epr").one()
    assert (row.hospital_ods, row.sources) == ("RNS01", ["acute"])
    assert "<td>RNS01</td>" in text(client.get("/admin/api-clients"))


@pytest.mark.parametrize("fields, field, message", [
    ({"sources": ["acute", "nhs111"]}, "sources", "A hospital's system sends discharge referrals only"),
    ({"sources": ["acute"], "service": "home_rehab"}, "service", "A hospital's system is not a service's"),
    ({"sources": ["acute"], "hospital_ods": "toolong1"}, "hospital_ods", "An ODS code is 3 to 6 letters or digits"),
])
def test_a_hospital_systems_mistake_is_beside_its_field(client, admin, db, fields, field, message):
    response = add_api_client(client, **{"name": "ngh-epr", "hospital_ods": "RNS01", **fields})
    page = text(response)
    assert response.status_code == 422
    assert f'id="{field}-error"' in page and f'href="#{field}"' in page and message in page
    assert "new-token" not in page and db.session.query(ApiClient).count() == 0
