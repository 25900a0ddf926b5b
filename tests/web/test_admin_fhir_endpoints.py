"""The BaRS endpoints admin page: an endpoint registered for its API client,
listed with its owner, removed, and an unowned one claimed; each change audited
under the administrator's name."""
import pytest

from spoa.models import AuditEvent, FhirEndpoint
from tests.support.pages import text
from tests.support.signing_in import csrf_token

PAGE = "/admin/fhir-endpoints"
ENDPOINT = "https://fhir.nhs.uk/Id/dos-service-id|2222222222"


@pytest.fixture
def admin(login_as):
    return login_as("admin")


@pytest.fixture
def clients(make_api_client):
    make_api_client(sources=["nhs111"], name="nhs111-a")
    make_api_client(sources=["nhs111"], name="nhs111-b")


def post(browser, path, **data):
    """A form on the page, submitted with its CSRF token (its fields include one named client)."""
    return browser.post(path, data={**data, "csrf_token": csrf_token(browser, PAGE)})


def register(browser, **fields):
    data = {"client": "nhs111-a", "endpoint": ENDPOINT, "base_url": "https://a.example/fhir"}
    return post(browser, PAGE, **{**data, **fields})


def rows(db):
    db.session.expire_all()
    return [(row.endpoint, row.client.name if row.client else None, row.base_url)
            for row in db.session.scalars(db.select(FhirEndpoint).order_by(FhirEndpoint.endpoint))]


def audited(db, event):
    db.session.expire_all()
    return [(a.actor_name, a.detail["endpoint"], a.detail["client"])
            for a in db.session.scalars(db.select(AuditEvent).where(AuditEvent.event == event))]


def test_an_admin_registers_an_endpoint_for_a_client_and_sees_its_owner(client, admin, db, clients):
    response = register(client)
    assert response.status_code == 303 and response.headers["Location"] == PAGE
    page = text(client.get(PAGE))
    assert f"Outcomes for nhs111-a's endpoint {ENDPOINT} now go to https://a.example/fhir/$process-message" in page
    row = db.session.scalars(db.select(FhirEndpoint)).one()
    assert f'<tr id="endpoint-{row.id}">' in page and "<td>nhs111-a</td>" in page
    assert rows(db) == [(ENDPOINT, "nhs111-a", "https://a.example/fhir")]
    assert audited(db, "fhir_endpoint_registered") == [("admin", ENDPOINT, "nhs111-a")]


@pytest.mark.parametrize("fields, field, message", [
    ({"client": ""}, "client", "Choose the API client whose endpoint it is"),
    ({"client": "nobody"}, "client", "There is no API client called nobody"),
    ({"endpoint": "2222222222"}, "endpoint", "as system|value"),
    ({"base_url": "ftp://a.example/fhir"}, "base_url", "Enter the full https://"),
])
def test_a_mistake_is_shown_beside_its_field_and_nothing_is_stored(client, admin, db, clients, fields, field,
                                                                   message):
    response = register(client, **fields)
    page = text(response)
    assert response.status_code == 422
    assert f'id="{field}-error"' in page and f'href="#{field}"' in page and message in page
    assert rows(db) == [] and audited(db, "fhir_endpoint_registered") == []


def test_another_clients_endpoint_is_refused_beside_the_endpoint(client, admin, db, clients):
    assert register(client).status_code == 303
    response = register(client, client="nhs111-b", base_url="https://b.example/fhir")
    assert response.status_code == 422
    assert "is registered to the API client nhs111-a" in text(response) and 'id="endpoint-error"' in text(response)
    assert rows(db) == [(ENDPOINT, "nhs111-a", "https://a.example/fhir")]


def test_an_unowned_endpoint_shows_as_unused_and_is_claimed_for_a_client(client, admin, db, clients):
    db.session.add(FhirEndpoint(endpoint=ENDPOINT, base_url="https://old.example/fhir", is_active=True))
    db.session.commit()
    row_id = db.session.scalars(db.select(FhirEndpoint)).one().id
    page = text(client.get(PAGE))
    assert "None: not used until claimed" in page and f'id="claim-client-{row_id}"' in page
    missing = post(client, f"{PAGE}/{row_id}/claim", client="")
    assert missing.status_code == 422 and f'id="claim-client-{row_id}-error"' in text(missing)
    assert f'href="#claim-client-{row_id}"' in text(missing)
    claimed = post(client, f"{PAGE}/{row_id}/claim", client="nhs111-b")
    assert claimed.status_code == 303
    assert rows(db) == [(ENDPOINT, "nhs111-b", "https://old.example/fhir")]
    assert audited(db, "fhir_endpoint_claimed") == [("admin", ENDPOINT, "nhs111-b")]
    assert f'id="claim-client-{row_id}"' not in text(client.get(PAGE))
    again = post(client, f"{PAGE}/{row_id}/claim", client="nhs111-a")
    assert again.status_code == 422 and "already belongs to the API client nhs111-b" in text(again)
    assert rows(db) == [(ENDPOINT, "nhs111-b", "https://old.example/fhir")]


def test_an_admin_removes_an_endpoint(client, admin, db, clients):
    assert register(client).status_code == 303
    row_id = db.session.scalars(db.select(FhirEndpoint)).one().id
    response = post(client, f"{PAGE}/{row_id}/remove")
    assert response.status_code == 303
    assert f"Removed {ENDPOINT}" in text(client.get(PAGE))
    assert rows(db) == [] and audited(db, "fhir_endpoint_removed") == [("admin", ENDPOINT, "nhs111-a")]
    assert post(client, f"{PAGE}/{row_id}/remove").status_code == 404


def test_only_administrators_see_the_page(client, login_as):
    login_as("supervisor")
    assert client.get(PAGE).status_code == 403
