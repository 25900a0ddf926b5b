"""Admin: voluntary organisations on the duty rota, and their own users and systems."""
import html

import pytest

from spoa.models import ApiClient, AuditEvent, Service, User
from tests.support.data.duty_data import add_org
from tests.support.signing_in import csrf_token

from .conftest import inline_scripts

NEW_PASSWORD = "a long new password"  # noqa: S105 (a test value)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def post(client, path, **data):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, "/admin/services")})


def add_org_form(client, **fields):
    data = {"org-code": "good_neighbours", "org-name": "Good Neighbours", "org-duty_days": ["1", "2", "6"]}
    data.update(fields)
    token = csrf_token(client, "/admin/services")
    return client.post("/admin/services/voluntary", data={**data, "org-csrf_token": token})


@pytest.fixture
def admin(login_as):
    return login_as("admin")


def test_an_admin_adds_a_voluntary_organisation_and_changes_its_days(client, admin, db):
    response = add_org_form(client)
    assert response.status_code == 303
    org = db.session.query(Service).filter_by(code="good_neighbours").one()
    assert (org.kind, org.name, org.duty_days, org.is_active) == ("voluntary", "Good Neighbours", [1, 2, 6], True)
    page = text(client.get("/admin/services"))
    assert "Added Good Neighbours (good_neighbours) to the duty rota: Mon, Tue, Sat." in page
    assert "Voluntary organisation" in page
    response = post(client, f"/admin/services/{org.id}/duty-days", duty_days=["1", "2", "3", "4", "5", "6", "7"])
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Service, org.id).duty_days == [1, 2, 3, 4, 5, 6, 7]
    assert "Good Neighbours is on duty: Every day." in text(client.get("/admin/services"))
    audit = db.session.query(AuditEvent).filter_by(event="duty_days_changed").one()
    assert (audit.actor_name, audit.detail["before"], audit.detail["after"]) == ("admin", [1, 2, 6], list(range(1, 8)))
    assert db.session.query(AuditEvent).filter_by(event="voluntary_org_created").count() == 1


@pytest.mark.parametrize("fields, field, message", [
    ({"org-code": "Good Neighbours"}, "org-code", "lower-case letters, digits and _ only"),
    ({"org-code": "crisis_response"}, "org-code", "is a route in the routing policy"),
    ({"org-name": ""}, "org-name", "Enter a name"),
    ({"org-duty_days": []}, "org-duty_days", "Choose the days it is on duty"),
    ({"org-duty_days": ["9"]}, "org-duty_days", "'9' is not a day of the week"),
])
def test_a_voluntary_organisation_form_with_a_mistake_says_which_field(client, admin, db, fields, field, message):
    response = add_org_form(client, **fields)
    page = text(response)
    assert response.status_code == 422
    assert f'id="{field}-error"' in page and f'href="#{field}"' in page and message in page
    assert db.session.query(Service).count() == 0


def test_a_code_already_in_use_is_refused(client, admin, db):
    add_org(db, "good_neighbours")
    response = add_org_form(client, **{"org-name": "Another"})
    assert response.status_code == 422 and "There is already a service or organisation with the code" in text(response)


def test_an_organisation_keeps_at_least_one_duty_day(client, admin, db):
    org = add_org(db, "good_neighbours", days=(1,))
    response = post(client, f"/admin/services/{org.id}/duty-days")
    page = text(response)
    assert response.status_code == 422
    assert f'id="duty-days-{org.id}-error"' in page and f'href="#duty-days-{org.id}"' in page
    db.session.expire_all()
    assert db.session.get(Service, org.id).duty_days == [1]


def test_its_clinicians_and_its_system_can_be_added_and_a_deactivated_one_offers_none(client, admin, db):
    org = add_org(db, "good_neighbours")
    page = text(client.get("/admin/users"))
    assert '<option value="good_neighbours">Good Neighbours</option>' in page
    response = client.post("/admin/users", data={
        "username": "gail", "role": "clinician", "service": "good_neighbours", "password": NEW_PASSWORD,
        "csrf_token": csrf_token(client, "/admin/users")})
    assert response.status_code == 303
    assert db.session.query(User).filter_by(username="gail").one().service == "good_neighbours"
    response = client.post("/admin/api-clients", data={
        "name": "gn-system", "service": "good_neighbours", "csrf_token": csrf_token(client, "/admin/api-clients")})
    assert response.status_code == 201
    assert db.session.query(ApiClient).filter_by(name="gn-system").one().service == "good_neighbours"
    post(client, f"/admin/services/{org.id}/deactivate")
    response = client.post("/admin/users", data={
        "username": "gus", "role": "clinician", "service": "good_neighbours", "password": NEW_PASSWORD,
        "csrf_token": csrf_token(client, "/admin/users")})
    assert response.status_code == 422 and "Unknown service good_neighbours" in text(response)


@pytest.mark.parametrize("role, service", [("clinician", "good_neighbours"), ("supervisor", None)])
def test_no_other_role_may_add_an_organisation_or_change_its_days(client, login_as, db, role, service):
    org = add_org(db, "good_neighbours", days=(1,))
    login_as(role, service=service)
    token = csrf_token(client, "/")
    assert client.post("/admin/services/voluntary", data={
        "org-code": "x", "org-name": "X", "org-duty_days": ["1"], "org-csrf_token": token}).status_code == 403
    assert client.post(f"/admin/services/{org.id}/duty-days",
                       data={"duty_days": ["2"], "csrf_token": token}).status_code == 403
    db.session.expire_all()
    assert db.session.query(Service).count() == 1 and db.session.get(Service, org.id).duty_days == [1]


def test_the_services_page_with_organisations_labels_every_input(client, admin, db):
    import re

    add_org(db, "good_neighbours")
    add_org(db, "age_concern_north", days=(1, 2, 3, 4, 5))
    page = client.get("/admin/services").get_data(as_text=True)
    assert not inline_scripts(page) and "style=" not in page
    ids = re.findall(r'<(?:input|select)(?![^>]*type="hidden")[^>]*\bid="([^"]+)"', page)
    checkboxes = len(re.findall(r'<label class="checkbox"><input type="checkbox"', page))
    unlabelled = len(re.findall(r'<(?:input|select)(?![^>]*type="hidden")(?![^>]*\bid=)', page))
    assert unlabelled == checkboxes == 7 * 3  # each organisation's days, and the new one's
    for input_id in ids:
        assert f'for="{input_id}"' in page, input_id
    assert page.count('type="checkbox" name="duty_days" value="6" checked') == 1  # Saturday: good_neighbours only
