"""Capacity per service: declared by its team on a page or by its system through
the API, shown on the queue, and every declaration audited."""
import html

import pytest

from spoa.models import AuditEvent, Service
from tests.support.signing_in import csrf_token

pytestmark = pytest.mark.both_databases


@pytest.fixture
def services(db):
    rows = [Service(code="bed_rehab", name="Bed-based rehabilitation"),
            Service(code="crisis_response", name="Crisis response")]
    db.session.add_all(rows)
    db.session.commit()
    return rows


def declare(client, code, **fields):
    data = {"csrf_token": csrf_token(client, f"/services/{code}/capacity"), **fields}
    return client.post(f"/services/{code}/capacity", data=data)


def test_a_team_declares_its_capacity_and_the_queue_shows_it(client, login_as, services, db):
    login_as("clinician", service="bed_rehab", username="lead")
    response = declare(client, "bed_rehab", total="10", in_use="10")
    assert response.status_code == 302
    page = html.unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "<strong>0</strong> community beds free (10 of 10 in use)" in page and "by lead" in page
    audit = db.session.query(AuditEvent).filter_by(event="capacity_declared").one()
    assert audit.detail["after"] == {"total": 10, "in_use": 10} and audit.actor_name == "lead"
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login_as("supervisor")
    queue = html.unescape(client.get("/queue").get_data(as_text=True))
    row = queue[queue.index('data-service="bed_rehab"'):]
    assert "None free" in row[:600] and "10 / 10" in row[:600]


def test_wrong_numbers_are_named_beside_the_field_and_nothing_changes(client, login_as, services, db):
    login_as("clinician", service="crisis_response")
    response = declare(client, "crisis_response", total="eight", in_use="")
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422 and 'id="total-error"' in page and 'value="eight"' in page
    response = declare(client, "crisis_response", total="3", in_use="5")
    assert "In use cannot be more than the total." in html.unescape(response.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.query(Service).filter_by(code="crisis_response").one().capacity_total is None


def test_only_the_services_own_team_or_a_supervisor_may_declare(client, login_as, services):
    login_as("clinician", service="crisis_response")
    assert client.get("/services/bed_rehab/capacity").status_code == 403
    assert client.get("/services/nowhere/capacity").status_code == 404


def test_a_services_system_declares_through_the_api(client, make_api_client, services, db):
    _, own = make_api_client(sources=None, service="bed_rehab")
    _, other = make_api_client(sources=None, service="crisis_response")
    body = {"total": 12, "in_use": 9}
    refused = client.put("/api/v1/services/bed_rehab/capacity", json=body,
                         headers={"Authorization": f"Bearer {other}"})
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    bad = client.put("/api/v1/services/bed_rehab/capacity", json={"total": -1, "in_use": "x"},
                     headers={"Authorization": f"Bearer {own}"})
    assert bad.status_code == 422 and set(bad.get_json()["errors"]) == {"total", "in_use"}
    done = client.put("/api/v1/services/bed_rehab/capacity", json=body, headers={"Authorization": f"Bearer {own}"})
    assert done.status_code == 200 and (done.get_json()["free"], done.get_json()["unit"]) == (3, "community beds")
    listing = client.get("/api/v1/services", headers={"Authorization": f"Bearer {other}"}).get_json()
    assert {s["code"]: s["free"] for s in listing["services"]} == {"bed_rehab": 3, "crisis_response": None}
