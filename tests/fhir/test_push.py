"""999 calls pushed by the ambulance service (BaRS Application 4, use case a4t3): taken
through the one intake path, acknowledged with SPOA's planned Encounter, read back,
updated only when newer, cancelled; in JSON and XML."""
import json
from datetime import UTC, datetime

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.servicerequest import ServiceRequest

from spoa.extensions import db as database
from spoa.models import AccessEvent, AuditEvent, FhirMessage, Referral

from .conftest import JSON_TYPE, XML_TYPE, example, issue, rec_code
from .push_messages import change_of, pushed_call, service_request, service_request_id

SHARED = "validation-request_999-to-CAS_api-1.4.0.json"
BOTH = pytest.mark.parametrize("fmt", [JSON_TYPE, XML_TYPE])


@pytest.fixture
def ambulance(make_api_client):
    """The ambulance service's system: (client row, token)."""
    return make_api_client(sources=["emas"], name="ambulance-cad")


@pytest.fixture
def push(post, ambulance):
    def send(message, **options):
        return post(message, token=ambulance[1], **options)
    return send


@pytest.fixture
def read(client, ambulance):
    def get(path, token=None, accept=JSON_TYPE):
        return client.get(f"/fhir/{path}", headers={"Authorization": f"Bearer {token or ambulance[1]}",
                                                     "Accept": accept})
    return get


def answer_bundle(response) -> dict:
    """The acknowledgement, checked as a FHIR R4 Bundle whichever format it came in."""
    if response.mimetype == XML_TYPE:
        return json.loads(Bundle.model_validate_xml(response.get_data()).model_dump_json())
    body = json.loads(response.get_data())
    Bundle.model_validate(body)
    return body


def only_referral() -> Referral:
    return database.session.scalars(database.select(Referral)).one()


def spoa_encounter(answer: dict) -> dict:
    found = [e["resource"] for e in answer["entry"] if e["resource"]["resourceType"] == "Encounter"
             and any(i.get("system") == "https://spoa.nhs.uk/Id/referral-reference"
                     for i in e["resource"].get("identifier", []))]
    assert len(found) == 1, found
    return found[0]


@BOTH
def test_the_shared_example_is_taken_and_acknowledged_with_spoa_s_planned_encounter(push, fmt, db):
    message = example(SHARED)
    response = push(message, fmt=fmt)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == fmt
    answer = answer_bundle(response)
    referral = only_referral()
    assert answer["type"] == "message" and answer["id"] == message["id"]
    assert len(answer["entry"]) == len(message["entry"]) + 1  # the request's resources, and SPOA's Encounter
    encounter = spoa_encounter(answer)
    assert encounter["status"] == "planned"
    assert encounter["identifier"][0]["value"] == referral.reference
    assert encounter["id"] == str(referral.id)
    assert encounter["episodeOfCare"][0]["reference"] == "EpisodeOfCare/d877b820-e72b-44d1-a627-195f54bfc606"
    assert encounter["subject"]["reference"] == "urn:uuid:9589fb37-87a2-48d8-968f-b371429208a8"

    assert referral.kind == "pushed_call" and referral.channel == "fhir" and referral.source == "emas"
    assert referral.emas_category == 3 and referral.pathways_disposition == "Dx0122"
    assert referral.breach_at == datetime(2021, 11, 26, 15, 20, tzinfo=UTC)
    assert referral.sender_case_number == "sender1234"
    assert referral.scene_safety == {"code": "S", "display": "The Scene is safe"}
    assert referral.location == {"name": "Briggate corner", "address": "20 The Headrow, Leeds", "postcode": "LS1 6PT"}
    assert [c["rank"] for c in referral.contacts] == [1, 2]
    assert [t["value"] for t in referral.contacts[0]["telecom"]] == ["07736312544", "01138698975",
                                                                     "jjones@hotmail.co.uk"]
    assert referral.contacts[1]["name"] == "Jack Grayson"
    # Its NHS number fails its check digit: taken and flagged, not reviewed for that; its
    # Category 3 disposition is why it was pushed. Leeds is outside the area: row P2 gives
    # it back to the ambulance service at once.
    assert referral.nhs_number_check_failed and referral.nhs_number_verification == "number-present-and-verified"
    decision = referral.decisions[0]
    assert (decision.rule_id, referral.route, referral.state) == ("push-out-of-area", "return_to_sender", "returned")
    message_row = database.session.scalars(database.select(FhirMessage)).one()
    assert message_row.version == 1 and message_row.service_request_id == "236bb75d-90ef-461f-b71e-fde7f899802c"


@BOTH
def test_a_pushed_fall_in_the_area_goes_to_crisis_response_whatever_its_ambulance_disposition(push, fmt, db):
    response = push(pushed_call(safeguarding=["Lives with a known risk to others"]), fmt=fmt, accept=fmt)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert spoa_encounter(answer_bundle(response))["status"] == "planned"
    referral = only_referral()
    assert (referral.route, referral.decisions[0].rule_id) == ("crisis_response", "push-ucr")
    assert referral.urgency == "emergency"
    assert referral.breach_at == datetime(2026, 11, 30, 9, 35, tzinfo=UTC)
    assert referral.safeguarding == ["Lives with a known risk to others"]
    assert referral.sender_case_number == "AMB-5521"


def test_the_same_disposition_on_a_referral_still_redirects(post, db):
    # Rows 2 and 3 stand for every referral but a pushed call.
    from .messages import own_message

    assert post(own_message(dx="Dx0122")).status_code == 200
    assert only_referral().route == "emergency_redirect"


@pytest.mark.parametrize("nhs_number", [None, "9434765918"], ids=["no NHS number", "check digit fails"])
def test_an_unknown_patient_is_taken_and_flagged_never_reviewed_for_that_alone(push, nhs_number, db):
    response = push(pushed_call(nhs_number=nhs_number), fmt=XML_TYPE)
    assert response.status_code == 200, response.get_data(as_text=True)
    referral = only_referral()
    assert referral.route == "crisis_response"
    assert referral.nhs_number == nhs_number
    assert referral.nhs_number_check_failed == (nhs_number is not None)


def test_a_call_naming_only_where_the_patient_is_takes_its_postcode_from_the_location(push, db):
    message = pushed_call(postcode="NN3 6AA")
    patient = next(e["resource"] for e in message["entry"] if e["resource"]["resourceType"] == "Patient")
    del patient["address"]
    assert push(message).status_code == 200
    assert only_referral().postcode == "NN3 6AA"


def test_a_validation_request_naming_no_use_case_is_taken_as_a4t3(push, db):
    assert push(pushed_call(use_case=None)).status_code == 200
    assert only_referral().kind == "pushed_call"


@BOTH
def test_another_application_4_use_case_is_not_supported(push, fmt, db):
    response = push(pushed_call(use_case="a4t1"), fmt=fmt)
    assert response.status_code == 422
    assert rec_code(response) == "REC_UNPROCESSABLE_ENTITY" and issue(response)["code"] == "not-supported"
    assert database.session.scalar(database.select(database.func.count(Referral.id))) == 0


@pytest.mark.parametrize("breach, expected", [
    ("2026-11-30T10:35:00+01:00", datetime(2026, 11, 30, 9, 35, tzinfo=UTC)),
    ("2026-11-30T04:35:00-05:00", datetime(2026, 11, 30, 9, 35, tzinfo=UTC)),
    ("2026-11-30T15:05:00+05:30", datetime(2026, 11, 30, 9, 35, tzinfo=UTC)),
    ("2026-11-30T09:35:00Z", datetime(2026, 11, 30, 9, 35, tzinfo=UTC)),
])
def test_a_breach_time_at_any_utc_offset_is_the_same_instant(push, breach, expected, db):
    assert push(pushed_call(breach=breach)).status_code == 200
    assert only_referral().breach_at == expected


# ---------------------------------------------------------------- read and history
@BOTH
def test_the_sender_reads_its_service_request(push, read, fmt, db):
    message = pushed_call()
    assert push(message).status_code == 200
    response = read(f"ServiceRequest/{service_request_id(message)}", accept=fmt)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == fmt
    if fmt == XML_TYPE:
        resource = ServiceRequest.model_validate_xml(response.get_data())
    else:
        resource = ServiceRequest.model_validate(json.loads(response.get_data()))
    assert resource.id == service_request_id(message)
    assert resource.meta.versionId == "1"
    assert [c.code for c in resource.category[0].coding] == ["validation", "a4t3"]
    assert resource.occurrencePeriod.end == datetime(2026, 11, 30, 9, 35, tzinfo=UTC)
    viewed = database.session.scalars(database.select(AccessEvent)).one()
    assert (viewed.referral_id, viewed.via, viewed.actor_name) == (only_referral().id, "fhir", "ambulance-cad")


def test_another_client_reads_nothing_of_it(push, read, make_api_client, db):
    message = pushed_call()
    assert push(message).status_code == 200
    _, other = make_api_client(sources=["emas"])
    own = service_request_id(message)
    for path in (f"ServiceRequest/{own}", f"ServiceRequest/{own}/_history"):
        response = read(path, token=other)
        assert response.status_code == 404
        assert issue(response)["code"] == "not-found" and rec_code(response) == "REC_NOT_FOUND"
        assert "Okafor" not in response.get_data(as_text=True)


def test_reading_needs_a_token(client, push, db):
    message = pushed_call()
    assert push(message).status_code == 200
    response = client.get(f"/fhir/ServiceRequest/{service_request_id(message)}")
    assert response.status_code == 401 and rec_code(response) == "REC_UNAUTHORIZED"


def test_history_lists_every_version_newest_first(push, read, db):
    message = pushed_call()
    assert push(message).status_code == 200
    assert push(change_of(message, last_updated="2026-11-30T09:20:00+00:00",
                          occurrencePeriod={"end": "2026-11-30T09:50:00+00:00"})).status_code == 200
    older = change_of(message, last_updated="2026-11-30T09:18:00+00:00")
    assert push(older).status_code == 409  # kept as received, not a version
    response = read(f"ServiceRequest/{service_request_id(message)}/_history")
    assert response.status_code == 200
    history = json.loads(response.get_data())
    Bundle.model_validate(history)
    assert history["type"] == "history" and history["total"] == 2
    assert [e["resource"]["meta"]["versionId"] for e in history["entry"]] == ["2", "1"]
    newest = history["entry"][0]["resource"]["occurrencePeriod"]["end"]
    assert datetime.fromisoformat(newest.replace("Z", "+00:00")) == datetime(2026, 11, 30, 9, 50, tzinfo=UTC)
    one = read(f"ServiceRequest/{service_request_id(message)}/_history/1")
    assert json.loads(one.get_data())["meta"]["versionId"] == "1"
    assert read(f"ServiceRequest/{service_request_id(message)}/_history/3").status_code == 404


def test_a_version_whose_message_was_pruned_is_still_listed(push, read, db):
    message = pushed_call()
    assert push(message).status_code == 200
    row = database.session.scalars(database.select(FhirMessage)).one()
    row.body = b""  # what retention leaves of a closed referral's message
    database.session.commit()
    response = read(f"ServiceRequest/{service_request_id(message)}")
    assert response.status_code == 200
    resource = ServiceRequest.model_validate(json.loads(response.get_data()))
    assert resource.status == "active" and resource.meta.versionId == "1" and "retention" in resource.subject.display


# ---------------------------------------------------------------- update and cancel
@BOTH
def test_a_newer_update_moves_the_breach_time_and_the_details(push, fmt, db):
    message = pushed_call()
    assert push(message).status_code == 200
    update = change_of(message, last_updated="2026-11-30T10:20:00+01:00",  # 09:20 UTC: newer
                       occurrencePeriod={"end": "2026-11-30T09:55:00+00:00"})
    update["entry"].append({"fullUrl": "urn:uuid:5b1f8a3c-0f0e-4a55-9d7a-3e1b8e2f4c11", "resource": {
        "resourceType": "Flag", "status": "active",
        "category": [{"coding": [{"system": "https://fhir.nhs.uk/CodeSystem/flag-categories-bars", "code": "SG"}]}],
        "code": {"text": "Carer reports financial abuse"},
        "subject": {"reference": next(e["fullUrl"] for e in update["entry"]
                                      if e["resource"]["resourceType"] == "Patient")}}})
    response = push(update, fmt=fmt)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert issue(response)["severity"] == "information" and "version 2" in issue(response)["diagnostics"]
    referral = only_referral()
    database.session.refresh(referral)
    assert referral.breach_at == datetime(2026, 11, 30, 9, 55, tzinfo=UTC)
    assert referral.safeguarding == ["Carer reports financial abuse"]
    event = database.session.scalars(database.select(AuditEvent).where(AuditEvent.event == "add_information")).one()
    assert "breach time" in event.detail["changed"] and "safeguarding flags" in event.detail["changed"]
    assert referral.route == "crisis_response" and referral.state == "offered"


@pytest.mark.parametrize("when", ["2026-11-30T09:10:00+00:00", "2026-11-30T09:15:00+00:00",
                                  "2026-11-30T10:14:00+01:00"], ids=["older", "the same", "older, at +01:00"])
def test_an_update_not_newer_changes_nothing(push, when, db):
    message = pushed_call()
    assert push(message).status_code == 200
    response = push(change_of(message, last_updated=when, occurrencePeriod={"end": "2026-11-30T11:00:00+00:00"}))
    assert response.status_code == 409
    assert issue(response)["code"] == "conflict" and rec_code(response) == "REC_CONFLICT"
    referral = only_referral()
    database.session.refresh(referral)
    assert referral.breach_at == datetime(2026, 11, 30, 9, 35, tzinfo=UTC)
    rows = database.session.scalars(database.select(FhirMessage).order_by(FhirMessage.received_at)).all()
    assert [r.version for r in rows] == [1, None]  # kept as received, not a version


def test_an_update_without_a_time_is_refused(push, db):
    message = pushed_call()
    assert push(message).status_code == 200
    update = change_of(message, last_updated="2026-11-30T09:20:00+00:00")
    del service_request(update)["meta"]
    del update["timestamp"]
    response = push(update)
    assert response.status_code == 400 and issue(response)["code"] == "invariant"


def test_the_same_update_twice_is_a_duplicate(push, db):
    message = pushed_call()
    assert push(message).status_code == 200
    update = change_of(message, last_updated="2026-11-30T09:20:00+00:00")
    ids = {"request_id": "0d8f0c55-3c1f-4f63-9f4c-1e2d3c4b5a69",
           "correlation_id": "1e9f1d66-4d2f-4f74-8f5d-2f3e4d5c6b7a"}
    assert push(update, **ids).status_code == 200
    again = push(update, **ids)
    assert again.status_code == 409 and issue(again)["code"] == "duplicate"


@BOTH
@pytest.mark.parametrize("status", ["revoked", "entered-in-error"])
def test_a_cancellation_withdraws_the_referral_and_stops_its_clocks(push, fmt, status, db):
    message = pushed_call()
    assert push(message).status_code == 200
    response = push(change_of(message, last_updated="2026-11-30T09:20:00+00:00", status=status), fmt=fmt)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "cancelled" in issue(response)["diagnostics"]
    referral = only_referral()
    database.session.refresh(referral)
    assert referral.state == "withdrawn"
    assert not referral.active_clocks and "cancelled" in {c.status for c in referral.clocks}
    event = database.session.scalars(database.select(AuditEvent).where(AuditEvent.event == "withdraw")).one()
    assert event.actor_kind == "api_client" and status in event.reason
    again = push(change_of(message, last_updated="2026-11-30T09:25:00+00:00", status=status))
    assert again.status_code == 409 and issue(again)["code"] == "conflict"


def test_a_referral_is_updated_and_cancelled_the_same_way(post, db):
    from .messages import own_message

    message = own_message()
    service_request(message)["meta"] = {"lastUpdated": "2026-11-30T09:15:00+00:00"}
    assert post(message).status_code == 200
    update = change_of(message, last_updated="2026-11-30T09:30:00+00:00")
    patient = next(e["resource"] for e in update["entry"] if e["resource"]["resourceType"] == "Patient")
    patient["telecom"] = [{"system": "phone", "value": "01604 999000"}]
    assert post(update).status_code == 200
    referral = only_referral()
    database.session.refresh(referral)
    assert referral.phone == "01604 999000" and referral.kind == "community"
    assert post(change_of(message, last_updated="2026-11-30T09:40:00+00:00", status="revoked")).status_code == 200
    database.session.refresh(referral)
    assert referral.state == "withdrawn"


def test_another_client_cannot_update_or_cancel_it(push, post, db):
    message = pushed_call()
    assert push(message).status_code == 200
    response = post(change_of(message, last_updated="2026-11-30T09:20:00+00:00", status="revoked"))
    assert response.status_code == 422 and issue(response)["code"] == "not-found"
    assert only_referral().state != "withdrawn"


# ---------------------------------------------------------------- the referral page
def test_the_referral_page_shows_the_call(push, client, login_as, db):
    assert push(pushed_call(nhs_number=None, scene=("U", "The scene is unsafe: dog"),
                            safeguarding=["Known to adult social care"])).status_code == 200
    referral = only_referral()
    login_as("supervisor")
    page = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    section = page[page.index('id="call-details"'):page.index("</section>", page.index('id="call-details"'))]
    assert "Pushed 999 call" in section
    assert "AMB-5521" in section and "Unknown patient" in section
    assert "The scene is unsafe: dog" in section and "Known to adult social care" in section
    assert "Abington Park, by the bandstand" in section
    assert "30 Nov" in section or "30 November" in section  # the breach time, in UK time
    # contacts in their rank: the patient's own mobile first, then the next of kin
    assert section.index("07700 900456") < section.index("01604 555666") < section.index("Chidi Okafor")
