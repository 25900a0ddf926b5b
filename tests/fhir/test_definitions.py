"""What SPOA says it accepts: the MessageDefinitions, per Directory of Services id, and
the CapabilityStatement's reads; both valid FHIR R4 in JSON and XML."""
import json

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from .conftest import JSON_TYPE, SPOA_DOS_ID, XML_TYPE

VALIDATION = "https://fhir.nhs.uk/MessageDefinition/bars-message-servicerequest-request-validation"
REFERRAL = "https://fhir.nhs.uk/MessageDefinition/bars-message-servicerequest-request-referral"


def _read(response, model):
    if response.mimetype == XML_TYPE:
        return json.loads(model.model_validate_xml(response.get_data()).model_dump_json())
    body = json.loads(response.get_data())
    model.model_validate(body)
    return body


@pytest.mark.parametrize("accept", [JSON_TYPE, XML_TYPE])
def test_message_definitions_say_what_spoa_takes_at_each_of_its_dos_ids(client, app, monkeypatch, accept):
    monkeypatch.setitem(app.config, "SPOA_DOS_SERVICE_IDS", (SPOA_DOS_ID, "2000123456"))
    response = client.get("/fhir/MessageDefinition", headers={"Accept": accept})
    assert response.status_code == 200 and response.mimetype == accept
    found = _read(response, Bundle)
    assert found["type"] == "searchset" and found["total"] == 4
    definitions = [e["resource"] for e in found["entry"]]
    assert all(d["resourceType"] == "MessageDefinition" for d in definitions)
    by_service = {(d["identifier"][0]["value"], d["url"]) for d in definitions}
    assert by_service == {(dos, url) for dos in (SPOA_DOS_ID, "2000123456") for url in (REFERRAL, VALIDATION)}
    pushed = next(d for d in definitions if d["url"] == VALIDATION)
    assert pushed["eventCoding"]["code"] == "servicerequest-request"
    assert {"system": "https://fhir.nhs.uk/CodeSystem/usecases-categories-bars", "code": "a4t3"} in [
        c for u in pushed["useContext"] for c in u["valueCodeableConcept"]["coding"]]


def test_the_capability_statement_names_the_reads_and_both_messages(client):
    response = client.get("/fhir/metadata")
    statement = _read(response, CapabilityStatement)
    service_request = next(r for r in statement["rest"][0]["resource"] if r["type"] == "ServiceRequest")
    assert {i["code"] for i in service_request["interaction"]} == {"read", "vread", "history-instance"}
    assert {m["definition"] for m in statement["messaging"][0]["supportedMessage"]} == {REFERRAL, VALIDATION}
