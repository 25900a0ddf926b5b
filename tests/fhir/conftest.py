"""FHIR (BaRS) intake fixtures: the shared example, a sending system, and headers."""
import copy
import json
import uuid
from pathlib import Path

import pytest

EXAMPLES = Path("/work/shared/reference/bars-examples")
HERE = Path(__file__).parent / "messages"
EXAMPLE_2022 = "referral-request_111-to-ED_servicerequest-request_api-2022.json"
DRAFT_2021 = "referral-request_999-to-CAS_draft-2021-admin-notify_api.json"
SPOA_DOS_ID = "111111111"  # the shared example's destination (dos-service-id:111111111)
JSON_TYPE, XML_TYPE = "application/fhir+json", "application/fhir+xml"


def example_bytes(name: str) -> bytes:
    for directory in (HERE, EXAMPLES):
        if (directory / name).exists():
            return (directory / name).read_bytes()
    raise FileNotFoundError(name)


def example(name: str = EXAMPLE_2022) -> dict:
    return json.loads(example_bytes(name))


def to_xml(bundle: dict) -> bytes:
    from fhir.resources.R4B.bundle import Bundle

    return Bundle.model_validate(bundle).model_dump_xml()


def resource(bundle: dict, kind: str, n: int = 0) -> dict:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind][n]


def entry_index(bundle: dict, kind: str) -> int:
    return next(i for i, e in enumerate(bundle["entry"]) if e["resource"]["resourceType"] == kind)


@pytest.fixture(autouse=True)
def dos_ids(app, monkeypatch):
    monkeypatch.setitem(app.config, "SPOA_DOS_SERVICE_IDS", (SPOA_DOS_ID,))


@pytest.fixture
def fhir_sender(make_api_client):
    """A 111 system posting FHIR: (client row, token)."""
    return make_api_client(sources=["nhs111"])


@pytest.fixture
def post(client, fhir_sender):
    """post(bundle_or_bytes, fmt=JSON_TYPE, accept=None, token=..., **headers) -> response."""

    def send(message, fmt=JSON_TYPE, accept=None, token=None, request_id=None, correlation_id=None,
             headers=None, **client_options):
        if isinstance(message, dict):
            data = to_xml(message) if fmt == XML_TYPE else json.dumps(message).encode()
        else:
            data = message
        all_headers = {
            "Authorization": f"Bearer {token or fhir_sender[1]}", "Content-Type": fmt,
            "X-Request-ID": request_id or str(uuid.uuid4()),
            "X-Correlation-ID": correlation_id or str(uuid.uuid4()),
        }
        if accept:
            all_headers["Accept"] = accept
        all_headers.update(headers or {})
        all_headers = {k: v for k, v in all_headers.items() if v is not None}
        return client.post("/fhir/$process-message", data=data, headers=all_headers, **client_options)

    return send


@pytest.fixture
def bundle():
    return copy.deepcopy(example())


def outcome(response) -> dict:
    """The answer's OperationOutcome as a dict, whichever format it came in."""
    if response.mimetype == XML_TYPE:
        from fhir.resources.R4B.operationoutcome import OperationOutcome

        return json.loads(OperationOutcome.model_validate_xml(response.get_data()).model_dump_json())
    assert response.mimetype == JSON_TYPE, response.mimetype
    return json.loads(response.get_data())


def issue(response, n=0) -> dict:
    body = outcome(response)
    assert body["resourceType"] == "OperationOutcome", body
    return body["issue"][n]


def rec_code(response, n=0) -> str:
    return issue(response, n)["details"]["coding"][0]["code"]


def own_message(*, dx="Dx05", nhs_number="9434765919", birth_date="1941-03-02", postcode="NN1 5BD",
                conditions=(), arp=None, extra=(), careplan_status="completed", reason="new",
                version="1.2.0") -> dict:
    """A small BaRS referral of our own (not the standard's example): 111 to SPOA."""
    ids = {k: f"urn:uuid:{uuid.uuid4()}" for k in ("mh", "sr", "pt", "cp", "enc", "org", "gp", "prac")}
    encounter = {"resourceType": "Encounter", "status": "finished",
                 "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "EMER"},
                 "subject": {"reference": ids["pt"]}}
    if arp:
        encounter["priority"] = {"coding": [{
            "system": "https://fhir.nhs.uk/CodeSystem/ambulance-response-programme-category", "code": arp}]}
    outcomes = [{"coding": [{"system": "https://fhir.nhs.uk/CodeSystem/pathways-sg-codes", "code": "SG1011",
                             "display": "Ankle or foot injury, blunt"}]}]
    if dx:
        outcomes.append({"coding": [{"system": "https://fhir.nhs.uk/CodeSystem/pathways-dx-codes", "code": dx,
                                     "display": "Speak to a clinician"}]})
    patient = {"resourceType": "Patient",
               "name": [{"use": "official", "family": "Okafor", "given": ["Ada"]}],
               "gender": "female", "birthDate": birth_date,
               "address": [{"use": "home", "line": ["1 Abington Street"], "city": "Northampton",
                            "postalCode": postcode}],
               "telecom": [{"system": "phone", "value": "01604 123456"}],
               "generalPractitioner": [{"reference": ids["gp"]}]}
    if nhs_number is not None:
        patient["identifier"] = [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs_number}]
    entries = [
        {"fullUrl": ids["mh"], "resource": {
            "resourceType": "MessageHeader",
            "eventCoding": {"system": "https://fhir.nhs.uk/CodeSystem/message-events-bars",
                            "code": "servicerequest-request"},
            "destination": [{"endpoint": f"https://fhir.nhs.uk/Id/dos-service-id|{SPOA_DOS_ID}",
                             "receiver": {"reference": ids["org"]}}],
            "sender": {"reference": ids["org"]},
            "source": {"endpoint": "https://fhir.nhs.uk/Id/dos-service-id|2222222222", "software": "tests"},
            "reason": {"coding": [{"system": "https://fhir.nhs.uk/CodeSystem/message-reason-bars", "code": reason}]},
            "focus": [{"reference": ids["sr"]}]}},
        {"fullUrl": ids["sr"], "resource": {
            "resourceType": "ServiceRequest", "status": "active", "intent": "plan",
            "category": [{"coding": [{"system": "https://fhir.nhs.uk/CodeSystem/message-category-servicerequest",
                                      "code": "referral"}]}],
            "subject": {"reference": ids["pt"]}, "encounter": {"reference": ids["enc"]},
            "basedOn": [{"reference": ids["cp"]}], "requester": {"reference": ids["prac"]},
            "authoredOn": "2026-11-30T09:14:00+00:00"}},
        {"fullUrl": ids["pt"], "resource": patient},
        {"fullUrl": ids["enc"], "resource": encounter},
        {"fullUrl": ids["cp"], "resource": {
            "resourceType": "CarePlan", "status": careplan_status, "intent": "plan",
            "subject": {"reference": ids["pt"]}, "activity": [{"outcomeCodeableConcept": outcomes}]}},
        {"fullUrl": ids["org"], "resource": {"resourceType": "Organization", "name": "SPOA"}},
        {"fullUrl": ids["gp"], "resource": {
            "resourceType": "Organization", "name": "Abington Surgery",
            "identifier": [{"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "K83001"}]}},
        {"fullUrl": ids["prac"], "resource": {
            "resourceType": "Practitioner", "name": [{"family": "Shah", "given": ["Priya"]}],
            "telecom": [{"system": "phone", "value": "0300 111 2222"}]}},
    ]
    for code, text in conditions:
        entries.append({"fullUrl": f"urn:uuid:{uuid.uuid4()}", "resource": {
            "resourceType": "Condition", "subject": {"reference": ids["pt"]},
            "category": [{"coding": [{"system": "http://snomed.info/sct", "code": "33962009"}]}],
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": code}], "text": text}}})
    for extra_resource in extra:
        entries.append({"fullUrl": f"urn:uuid:{uuid.uuid4()}", "resource": extra_resource})
    bundle = {"resourceType": "Bundle", "id": str(uuid.uuid4()), "type": "message",
              "timestamp": "2026-11-30T09:15:00+00:00", "entry": entries}
    if version:
        bundle["meta"] = {"versionId": version}
    return bundle
