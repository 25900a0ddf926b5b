"""The API clients page gives the coordination centre's dashboard its client: the
status feed's scope, ticked, and nothing else (no source, service or hospital)."""
from spoa.models import ApiClient, AuditEvent
from tests.support.admin_pages import add_api_client, token_on
from tests.support.pages import text


def test_an_admin_gives_the_dashboard_the_status_scope(client, admin, db):
    page = text(client.get("/admin/api-clients"))
    assert 'name="scopes" value="status"' in page and "coordination centre" in page
    response = add_api_client(client, name="shrewd", scopes=["status"])
    assert response.status_code == 201
    token = token_on(response)
    row = db.session.query(ApiClient).filter_by(name="shrewd").one()
    assert row.scopes == ["status"] and row.sources is None and row.service is None
    feed = client.get("/api/v1/status", headers={"Authorization": f"Bearer {token}"})
    assert feed.status_code == 200
    event = db.session.query(AuditEvent).filter_by(event="api_client_created").one()
    assert event.detail["scopes"] == ["status"]
    listed = text(client.get("/admin/api-clients"))
    assert "shrewd" in listed


def test_a_client_without_the_scope_is_refused_the_feed(client, admin, db):
    token = token_on(add_api_client(client, sources=["emas"]))
    assert db.session.query(ApiClient).filter_by(name="emas-hub").one().scopes is None
    assert client.get("/api/v1/status", headers={"Authorization": f"Bearer {token}"}).status_code == 403


def test_an_unknown_scope_is_said_beside_its_field(client, admin, db):
    response = add_api_client(client, name="nosy", scopes=["everything"])
    assert response.status_code == 422
    assert "Unknown scope everything" in text(response)
    assert db.session.query(ApiClient).count() == 0
