"""FHIR (BaRS) intake fixtures: the shared example, a sending system, and headers."""
import copy
import json
import uuid
from pathlib import Path

import pytest

from .messages import SPOA_DOS_ID, own_message  # noqa: F401  (re-exported for the tests)

EXAMPLES = Path("/work/shared/reference/bars-examples")
HERE = Path(__file__).parent / "messages"
# Public examples the app itself uses (the demo's pushed call): one copy, in the repository's docs.
DOCS_EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
EXAMPLE_2022 = "referral-request_111-to-ED_servicerequest-request_api-2022.json"
DRAFT_2021 = "referral-request_999-to-CAS_draft-2021-admin-notify_api.json"
JSON_TYPE, XML_TYPE = "application/fhir+json", "application/fhir+xml"


def example_bytes(name: str) -> bytes:
    for directory in (HERE, DOCS_EXAMPLES, EXAMPLES):
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

