"""Answers in the format asked for (Accept), else the request's own; the
CapabilityStatement; and no sender ever sees a 500 page or problem+json."""
import json

import pytest
from sqlalchemy import exc as sa_exc

from spoa.api import auth

from .conftest import JSON_TYPE, XML_TYPE, issue, own_message, rec_code


@pytest.mark.parametrize("fmt,accept,answer", [
    (JSON_TYPE, None, JSON_TYPE), (XML_TYPE, None, XML_TYPE), (JSON_TYPE, XML_TYPE, XML_TYPE),
    (XML_TYPE, JSON_TYPE, JSON_TYPE), (JSON_TYPE, "*/*", JSON_TYPE), (XML_TYPE, "*/*", XML_TYPE),
    (JSON_TYPE, "application/fhir+xml; version=1.4.0", XML_TYPE), (XML_TYPE, "application/json", JSON_TYPE),
])
def test_the_answer_is_in_the_format_asked_for(post, fmt, accept, answer, db):
    response = post(own_message(), fmt=fmt, accept=accept)
    assert response.status_code == 200
    assert response.mimetype == answer
    assert issue(response)["severity"] == "information"


def test_tracing_headers_are_echoed_on_success(post, db):
    response = post(own_message(), request_id="6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f",
                    correlation_id="7a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d")
    assert response.headers["X-Request-ID"] == "6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f"
    assert response.headers["X-Correlation-ID"] == "7a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"


@pytest.mark.parametrize("accept,answer", [(None, JSON_TYPE), (JSON_TYPE, JSON_TYPE), (XML_TYPE, XML_TYPE)])
def test_metadata_is_a_capability_statement(client, accept, answer):
    response = client.get("/fhir/metadata", headers={"Accept": accept} if accept else {})
    assert response.status_code == 200 and response.mimetype == answer
    if answer == JSON_TYPE:
        statement = json.loads(response.get_data())
        assert statement["resourceType"] == "CapabilityStatement" and statement["fhirVersion"] == "4.0.1"
        assert statement["messaging"][0]["supportedMessage"][0]["mode"] == "receiver"
    else:
        from fhir.resources.R4B.capabilitystatement import CapabilityStatement

        assert CapabilityStatement.model_validate_xml(response.get_data()).kind == "instance"


def test_the_database_down_is_a_503_operation_outcome_with_retry_after(post, monkeypatch):
    def unreachable():
        raise sa_exc.OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))

    monkeypatch.setattr(auth, "_client_from_token", unreachable)
    response = post(own_message(), accept=XML_TYPE)
    assert response.status_code == 503 and response.mimetype == XML_TYPE
    assert rec_code(response) == "REC_UNAVAILABLE" and int(response.headers["Retry-After"]) > 0
    assert response.headers["X-Request-ID"]


def test_our_own_fault_is_an_operation_outcome_not_a_page(post, monkeypatch, db):
    from spoa.fhir import routes

    def broken(*args, **kwargs):
        raise KeyError("a bug")

    monkeypatch.setattr(routes, "receive_referral", broken)
    response = post(own_message(), expect_server_error=True)
    assert response.status_code == 500 and response.mimetype == JSON_TYPE
    assert rec_code(response) == "REC_SERVER_ERROR" and response.headers["X-Request-ID"]


def test_a_nul_in_the_query_is_an_operation_outcome(client, fhir_sender):
    response = client.post("/fhir/$process-message?x=%00", data=b"{}",
                           headers={"Content-Type": JSON_TYPE, "Authorization": f"Bearer {fhir_sender[1]}"})
    assert response.status_code == 400 and response.mimetype == JSON_TYPE
    assert rec_code(response) == "REC_BAD_REQUEST"


def test_pages_and_the_api_are_unchanged_by_the_fhir_exemption(client):
    # The staff session check still applies outside the api and fhir blueprints.
    assert client.get("/queue").status_code in (302, 303)


@pytest.mark.parametrize("method, path, status, allow", [
    ("GET", "/fhir/Patient/123", 404, None),
    ("POST", "/fhir/$process-mesage", 404, None),  # a typo in the operation
    ("GET", "/fhir/$process-message", 405, "POST"),
    ("DELETE", "/fhir/metadata", 405, "GET, HEAD"),
])
def test_an_address_or_method_the_endpoint_lacks_is_an_operation_outcome(client, method, path, status, allow):
    response = client.open(path, method=method, headers={"Accept": JSON_TYPE})
    assert response.status_code == status and response.mimetype == JSON_TYPE
    assert issue(response)["severity"] == "error"
    assert response.headers.get("Allow") == allow
