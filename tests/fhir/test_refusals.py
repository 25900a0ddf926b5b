"""Every refusal is an OperationOutcome a sending system can act on: the REC_*
code, the FHIR issue type, and where in the bundle (expression)."""
import json
import uuid

import pytest

from spoa.extensions import db as database
from spoa.models import FhirMessage, Referral

from .conftest import DRAFT_2021, JSON_TYPE, XML_TYPE, entry_index, example, issue, own_message, rec_code, resource

BOTH = pytest.mark.parametrize("fmt", [JSON_TYPE, XML_TYPE])


def stored() -> int:
    """Referrals and kept messages: a refusal stores neither."""
    return sum(database.session.scalar(database.select(database.func.count()).select_from(model))
               for model in (Referral, FhirMessage))


def refused(response, status, rec, code, expression=None):
    assert response.status_code == status, response.get_data(as_text=True)
    found = issue(response)
    assert found["severity"] == "error"
    assert rec_code(response) == rec and found["code"] == code, found
    if expression is not None:
        assert found["expression"] == [expression], found
    assert stored() == 0
    return found


def test_the_2021_draft_is_refused_as_an_unsupported_event(post):
    found = refused(post(example(DRAFT_2021)), 422, "REC_UNPROCESSABLE_ENTITY", "not-supported",
                    "Bundle.entry[0].resource.eventCoding")
    assert "admin-notify" in found["diagnostics"]


@pytest.mark.parametrize("missing", ["X-Request-ID", "X-Correlation-ID"])
def test_tracing_headers_are_required(post, missing):
    response = post(own_message(), headers={missing: None})
    found = refused(response, 400, "REC_BAD_REQUEST", "invalid")
    assert missing in found["diagnostics"]


def test_tracing_headers_must_be_guids_and_are_echoed(post):
    response = post(own_message(), request_id="not-a-guid", correlation_id="c0ffee00-0000-4000-8000-000000000001")
    refused(response, 400, "REC_BAD_REQUEST", "invalid")
    assert response.headers["X-Request-ID"] == "not-a-guid"
    assert response.headers["X-Correlation-ID"] == "c0ffee00-0000-4000-8000-000000000001"


@BOTH
def test_bundle_type_must_be_message(post, fmt):
    message = own_message()
    message["type"] = "collection"
    refused(post(message, fmt=fmt), 400, "REC_BAD_REQUEST", "invariant", "Bundle.type")


def test_first_entry_must_be_the_message_header(post):
    message = own_message()
    message["entry"].reverse()
    refused(post(message), 400, "REC_BAD_REQUEST", "invariant", "Bundle.entry[0]")


@BOTH
def test_another_event_is_not_supported(post, fmt):
    message = own_message()
    message["entry"][0]["resource"]["eventCoding"]["code"] = "booking-request"
    refused(post(message, fmt=fmt), 422, "REC_UNPROCESSABLE_ENTITY", "not-supported",
            "Bundle.entry[0].resource.eventCoding")


def test_a_reason_other_than_new_or_update_is_not_supported(post):
    refused(post(own_message(reason="cancel-request")), 422, "REC_UNPROCESSABLE_ENTITY", "not-supported",
            "Bundle.entry[0].resource.reason")


def test_an_update_of_a_service_request_never_received_is_refused(post):
    message = own_message(reason="update")
    resource(message, "ServiceRequest")["meta"] = {"lastUpdated": "2026-11-30T09:20:00+00:00"}
    refused(post(message), 422, "REC_UNPROCESSABLE_ENTITY", "not-found", "Bundle.entry[1].resource.id")


@pytest.mark.parametrize("version", ["2.0.0", "0.9", "latest"])
def test_a_bars_version_other_than_1x_is_not_supported(post, version):
    refused(post(own_message(version=version)), 422, "REC_UNPROCESSABLE_ENTITY", "not-supported",
            "Bundle.meta.versionId")


def test_a_message_for_another_service_is_refused(post):
    message = own_message()
    message["entry"][0]["resource"]["destination"][0]["endpoint"] = "https://fhir.nhs.uk/Id/dos-service-id|999"
    refused(post(message), 422, "REC_UNPROCESSABLE_ENTITY", "not-found",
            "Bundle.entry[0].resource.destination[0].endpoint")


def test_a_receiver_reference_not_in_the_bundle_is_refused(post):
    message = own_message()
    message["entry"][0]["resource"]["destination"][0]["receiver"]["reference"] = f"urn:uuid:{uuid.uuid4()}"
    refused(post(message), 400, "REC_BAD_REQUEST", "invariant",
            "Bundle.entry[0].resource.destination[0].receiver")


def test_a_category_neither_referral_nor_validation_is_refused(post):
    message = own_message()
    resource(message, "ServiceRequest")["category"][0]["coding"][0]["code"] = "booking"
    refused(post(message), 400, "REC_BAD_REQUEST", "invariant", "Bundle.entry[1].resource.category")


@pytest.mark.parametrize("use_case", ["a4t1", "a4t2", "a4t4", "zz9"])
def test_a_validation_request_of_another_use_case_is_not_supported(post, use_case):
    message = own_message()
    resource(message, "ServiceRequest")["category"] = [{"coding": [
        {"system": "https://fhir.nhs.uk/CodeSystem/message-category-servicerequest", "code": "validation"},
        {"system": "https://fhir.nhs.uk/CodeSystem/usecases-categories-bars", "code": use_case}]}]
    refused(post(message), 422, "REC_UNPROCESSABLE_ENTITY", "not-supported", "Bundle.entry[1].resource.category")


def test_the_service_request_must_be_active(post):
    message = own_message()
    resource(message, "ServiceRequest")["status"] = "draft"
    refused(post(message), 400, "REC_BAD_REQUEST", "invariant", "Bundle.entry[1].resource.status")


def test_the_patient_must_be_in_the_bundle(post):
    message = own_message()
    del message["entry"][entry_index(message, "Patient")]
    refused(post(message), 400, "REC_BAD_REQUEST", "invariant", "Bundle.entry[1].resource.subject")


@BOTH
def test_a_date_of_birth_in_the_future_is_refused_where_it_is(post, fmt):
    message = own_message(birth_date="2099-01-01")
    found = refused(post(message, fmt=fmt), 422, "REC_UNPROCESSABLE_ENTITY", "value",
                    f"Bundle.entry[{entry_index(message, 'Patient')}].resource.birthDate")
    assert "future" in found["diagnostics"]


@BOTH
def test_an_unparseable_postcode_is_refused_where_it_is(post, fmt):
    message = own_message(postcode="NOT A CODE")
    refused(post(message, fmt=fmt), 422, "REC_UNPROCESSABLE_ENTITY", "value",
            f"Bundle.entry[{entry_index(message, 'Patient')}].resource.address[0].postalCode")


@pytest.mark.parametrize("code", ["C1", "2"])
def test_an_ambulance_category_1_or_2_is_refused(post, make_api_client, code):
    token = make_api_client(sources=["emas"])[1]
    message = own_message(arp=code)
    found = refused(post(message, token=token), 422, "REC_UNPROCESSABLE_ENTITY", "value",
                    f"Bundle.entry[{entry_index(message, 'Encounter')}].resource.priority")
    assert "999" in found["diagnostics"]


def test_an_unreadable_arp_code_is_refused(post, make_api_client):
    token = make_api_client(sources=["emas"])[1]
    message = own_message(arp="purple")
    refused(post(message, token=token), 422, "REC_UNPROCESSABLE_ENTITY", "value",
            f"Bundle.entry[{entry_index(message, 'Encounter')}].resource.priority")


def test_a_structural_error_names_its_path(post):
    message = own_message()
    resource(message, "Patient")["birthDate"] = "the fifth of May"
    found = refused(post(message), 400, "REC_BAD_REQUEST", "structure")
    assert found["expression"][0].startswith("Bundle.entry[2].resource")


@pytest.mark.parametrize("body,fmt", [(b"{not json", JSON_TYPE), (b"<Bundle", XML_TYPE), (b"[]", JSON_TYPE),
                                      (b'<?xml version="1.0"?><Patient xmlns="http://hl7.org/fhir"/>', XML_TYPE)])
def test_unreadable_bodies_are_bad_requests(post, body, fmt):
    refused(post(body, fmt=fmt), 400, "REC_BAD_REQUEST", "structure")


def test_other_content_types_are_unsupported(post):
    refused(post(json.dumps(own_message()).encode(), fmt="text/plain"), 415, "REC_UNSUPPORTED_MEDIA_TYPE",
            "not-supported")


def test_a_body_over_the_limit_is_too_large(post):
    refused(post(b"{" + b" " * (70 * 1024) + b"}"), 413, "REC_PAYLOAD_TOO_LARGE", "too-long")


def test_no_token_is_unauthorised(post):
    response = post(own_message(), token="wrong")
    refused(response, 401, "REC_UNAUTHORIZED", "login")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.headers["X-Request-ID"]


def test_a_client_with_several_sources_is_forbidden(post, make_api_client):
    token = make_api_client(sources=["emas", "nhs111"])[1]
    refused(post(own_message(), token=token), 403, "REC_FORBIDDEN", "forbidden")


def test_over_the_rate_limit_is_too_many_requests(post, make_api_client):
    token = make_api_client(sources=["nhs111"], rate=1)[1]
    assert post(own_message(), token=token).status_code == 200
    response = post(own_message(), token=token)
    assert response.status_code == 429 and rec_code(response) == "REC_TOO_MANY_REQUESTS"
    assert int(response.headers["Retry-After"]) > 0


def test_refusals_come_in_xml_when_asked(post):
    response = post(own_message(birth_date="2099-01-01"), accept=XML_TYPE)
    assert response.mimetype == XML_TYPE and response.status_code == 422
    assert rec_code(response) == "REC_UNPROCESSABLE_ENTITY"


def test_xml_entities_are_never_expanded(post):
    body = (b'<?xml version="1.0"?><!DOCTYPE Bundle [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>'
            b'<Bundle xmlns="http://hl7.org/fhir"><id value="&xxe;"/><type value="message"/></Bundle>')
    response = post(body, fmt=XML_TYPE)
    assert response.status_code == 400
    assert open("/etc/hostname").read().strip() not in response.get_data(as_text=True)
