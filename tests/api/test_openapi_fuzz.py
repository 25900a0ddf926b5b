"""Schemathesis against /api/openapi.json: every operation, with cases made from
the document itself (valid and not), signed in as a sending system. The property
is the API's promise: never a 500, and every error in problem+json (the FHIR
receiver's, under /fhir/, an OperationOutcome in FHIR JSON or XML)."""
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def api_schema(app, db, redis):
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_without_a_500(case, make_api_client):
    if not hasattr(case.operation, "_spoa_token"):
        # The status scope too, so the coordination centre's feed is fuzzed past its 403.
        _, token = make_api_client(sources=["emas", "nhs111", "gp"], scopes=["status"])
        case.operation._spoa_token = token
    response = case.call(headers={"Authorization": f"Bearer {case.operation._spoa_token}"})
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:300])
    if response.status_code >= 400:
        content_type = {k.lower(): v for k, v in response.headers.items()}.get("content-type")
        content_type = content_type[0] if isinstance(content_type, list) else content_type
        wanted = ("application/fhir+json", "application/fhir+xml") if case.path.startswith("/fhir/") \
            else ("application/problem+json",)
        assert content_type.startswith(wanted), response.text[:200]
