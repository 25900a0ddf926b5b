"""The referrer is told the outcome (BaRS senders): a
servicerequest-response message POSTed to the sender's own $process-message,
registered against its source.endpoint, through the notification outbox; a real
HTTP server on the loopback receives it and reads it with fhir.resources."""
from datetime import UTC, datetime, timedelta

import pytest

from spoa.extensions import db as database
from spoa.models import AuditEvent, FhirEndpoint
from spoa.platform.timekeeping import to_uk
from tests.fhir.conftest import SPOA_DOS_ID
from tests.support.fixtures.bars import GUID, SENDER_ID, falls_referral, resources
from tests.support.fixtures.outcomes import outcome_rows, told

pytestmark = [pytest.mark.both_databases, pytest.mark.usefixtures("dos_ids")]

def test_an_accepted_referral_is_told_to_the_sender_as_a_bars_servicerequest_response(
        registered, post_fhir, fire, crisis_team, deliver):
    referral, sent, ids = post_fhir(falls_referral())
    deliver()
    assert registered.received == []  # intake's own events: the sender had its answer (200)
    fire(crisis_team, referral, "accept")
    assert deliver() == 1
    [(path, headers, body)] = registered.received
    assert path == "/fhir/$process-message"
    assert headers["content-type"] == "application/fhir+json"
    assert headers["x-correlation-id"] == ids["X-Correlation-ID"]
    assert GUID.match(headers["x-request-id"]) and headers["x-request-id"] != ids["X-Request-ID"]
    [bundle] = registered.bundles()
    assert bundle.type == "message"
    [header] = resources(bundle, "MessageHeader")
    assert (header.eventCoding.system, header.eventCoding.code) == (
        "https://fhir.nhs.uk/CodeSystem/message-events-bars", "servicerequest-response")
    assert header.response.identifier == sent["id"] and header.response.code == "ok"
    assert [d.endpoint for d in header.destination] == [SENDER_ID]
    assert header.source.endpoint == f"https://fhir.nhs.uk/Id/dos-service-id|{SPOA_DOS_ID}"
    [request] = resources(bundle, "ServiceRequest")
    original_request = sent["entry"][1]
    assert header.focus[0].reference == original_request["fullUrl"]  # the sender's own ServiceRequest
    assert request.status == "active"
    assert request.subject.reference == original_request["resource"]["subject"]["reference"]
    assert f"{referral['reference']}: accepted" in request.note[0].text
    [outcome] = resources(bundle, "OperationOutcome")
    assert header.response.details.reference in {e.fullUrl for e in bundle.entry}
    assert outcome.issue[0].severity == "information" and "accepted" in outcome.issue[0].details.text
    text = body.decode()
    assert "Okafor" not in text and "9434765919" not in text and "NN1 5BD" not in text
    [row] = outcome_rows()
    assert row.channel == "bars" and told(referral["id"]) == [
        ("accept", f"sender told: accepted, {to_uk(row.delivered_at):%H:%M}")]


JOURNEYS = {
    # name: (steps, (event, ServiceRequest status) told, in order)
    "accepted, then first contact": (
        [("team", "accept", {}), ("team", "first_contact", {})],
        [("accept", "active"), ("first_contact", "completed")]),
    "redirected to 999/ED": (
        [("supervisor", "redirect", {"reason": "Chest pain on the phone"})], [("redirect", "revoked")]),
    "accepted, then cancelled": (
        [("team", "accept", {}), ("supervisor", "cancel", {"reason": "Duplicate of SPOA-1"})],
        [("accept", "active"), ("cancel", "revoked")]),
    "declined back to review": (
        [("team", "decline", {"reason": "No capacity"})], [("decline", "active")]),
}


@pytest.mark.parametrize("journey", JOURNEYS)
def test_each_outcome_is_one_message_with_the_service_requests_new_status(
        journey, registered, post_fhir, fire, crisis_team, supervisor_does, deliver):
    referral, sent, ids = post_fhir(falls_referral())
    steps, expected = JOURNEYS[journey]
    for who, event, options in steps:
        if who == "team":
            fire(crisis_team, referral, event, **options)
        else:
            supervisor_does(referral, event, **options)
        deliver()
    deliver()
    bundles = registered.bundles()
    assert [resources(b, "ServiceRequest")[0].status for b in bundles] == [status for _, status in expected]
    assert all(resources(b, "MessageHeader")[0].response.identifier == sent["id"] for b in bundles)
    request_ids = [h["x-request-id"] for _, h, _ in registered.received]
    assert len(set(request_ids)) == len(expected) and ids["X-Request-ID"] not in request_ids  # new per message
    assert {h["x-correlation-id"] for _, h, _ in registered.received} == {ids["X-Correlation-ID"]}
    assert len({b.id for b in bundles}) == len(expected)
    assert [e for e, _ in told(referral["id"])] == [e for e, _ in expected]


def test_a_failed_attempt_is_retried_with_the_same_message_and_x_request_id(
        frozen_now, registered, post_fhir, fire, crisis_team, deliver):
    from spoa.notifications.delivery import backoff

    at = datetime(2026, 11, 23, 9, 14, tzinfo=UTC)
    clock = frozen_now(at)
    referral, _, _ = post_fhir(falls_referral())
    fire(crisis_team, referral, "accept")
    registered.answers = [(503, {"resourceType": "OperationOutcome", "issue": [
        {"severity": "error", "code": "transient"}]})]
    deliver()
    [row] = outcome_rows()
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 1, at + backoff(1))
    assert "503" in row.delivery_attempts[0].error
    assert told(referral["id"]) == [("accept", "sending failed, retrying")]
    clock.move_to(at + timedelta(seconds=10))
    assert deliver() == 0  # not due yet
    clock.move_to(at + backoff(1) + timedelta(seconds=1))
    assert deliver() == 1
    (_, first_headers, first), (_, second_headers, second) = registered.received
    assert first_headers["x-request-id"] == second_headers["x-request-id"]  # the receiver dedupes on it
    assert first == second
    [row] = outcome_rows()
    assert row.status == "delivered" and [a.ok for a in row.delivery_attempts] == [False, True]
    assert told(referral["id"]) == [("accept", "sender told: accepted, 09:14")]  # 09:14 GMT in November


def test_a_referral_sent_as_xml_is_answered_about_its_own_service_request(
        registered, post_fhir, fire, crisis_team, deliver):
    referral, sent, ids = post_fhir(falls_referral(), fmt="application/fhir+xml")
    fire(crisis_team, referral, "accept")
    deliver()
    [bundle] = registered.bundles()
    header = resources(bundle, "MessageHeader")[0]
    assert header.response.identifier == sent["id"] and header.focus[0].reference == sent["entry"][1]["fullUrl"]
    assert registered.received[0][1]["x-correlation-id"] == ids["X-Correlation-ID"]


def test_nothing_is_sent_twice(registered, post_fhir, fire, crisis_team, deliver):
    referral, _, _ = post_fhir(falls_referral())
    fire(crisis_team, referral, "accept")
    assert deliver() == 1
    assert deliver() == 0
    assert len(registered.received) == 1


def test_a_409_duplicate_answer_means_an_earlier_attempt_arrived(registered, post_fhir, fire, crisis_team, deliver):
    referral, _, _ = post_fhir(falls_referral())
    fire(crisis_team, referral, "accept")
    registered.answers = [(409, {"resourceType": "OperationOutcome", "issue": [{
        "severity": "error", "code": "duplicate", "details": {"coding": [{
            "system": "https://fhir.nhs.uk/Codesystem/http-error-codes", "code": "REC_CONFLICT"}]}}]})]
    deliver()
    [row] = outcome_rows()
    assert row.status == "delivered" and row.attempts == 1
    assert deliver() == 0 and len(registered.received) == 1


def test_a_409_that_is_not_a_duplicate_is_a_failed_attempt(registered, post_fhir, fire, crisis_team, deliver):
    referral, _, _ = post_fhir(falls_referral())
    fire(crisis_team, referral, "accept")
    registered.answers = [(409, {"resourceType": "OperationOutcome", "issue": [
        {"severity": "error", "code": "conflict"}]})]
    deliver()
    [row] = outcome_rows()
    assert (row.status, row.attempts) == ("pending", 1) and "409" in row.last_error


def test_a_sender_without_a_registered_endpoint_is_not_told_and_the_timeline_says_so(
        receiver, post_fhir, fire, crisis_team, deliver):
    referral, _, _ = post_fhir(falls_referral())
    fire(crisis_team, referral, "accept")
    assert deliver() == 0
    assert outcome_rows() == [] and receiver.received == []
    assert told(referral["id"]) == [("accept", "sender not told: no BaRS endpoint registered for the sending system")]


def test_another_senders_registration_tells_this_one_nothing(register, receiver, fhir_client, post_fhir, fire,
                                                            crisis_team, deliver):
    other, _ = fhir_client()
    assert register("https://fhir.nhs.uk/Id/dos-service-id|3333333333", receiver.base_url, other).exit_code == 0
    referral, _, _ = post_fhir(falls_referral())
    fire(crisis_team, referral, "accept")
    deliver()
    assert receiver.received == []


def test_the_endpoint_is_found_however_the_sender_spells_its_identifier(registered, post_fhir, fire, crisis_team,
                                                                        deliver):
    # The standard's own 2022 example writes its source as http://...:2222222222.
    referral, _, _ = post_fhir(falls_referral("http://fhir.nhs.uk/Id/dos-service-id:2222222222"))
    fire(crisis_team, referral, "accept")
    deliver()
    [bundle] = registered.bundles()
    # Answered at the endpoint it gave, as it gave it.
    assert resources(bundle, "MessageHeader")[0].destination[0].endpoint == \
        "http://fhir.nhs.uk/Id/dos-service-id:2222222222"


def test_a_fhir_sender_whose_client_also_has_a_callback_is_told_once_through_bars(
        register, receiver, callback, fhir_client, post_fhir, fire, crisis_team, deliver):
    name, headers = fhir_client(callback_url=callback.url)
    assert register(SENDER_ID, receiver.base_url, name).exit_code == 0
    registered = receiver
    referral, _, _ = post_fhir(falls_referral(), headers=headers)
    fire(crisis_team, referral, "accept")
    deliver()
    assert [row.channel for row in outcome_rows()] == ["bars"]
    assert len(registered.received) == 1 and callback.received == []


def test_without_a_bars_endpoint_its_clients_callback_is_told(receiver, callback, fhir_client, post_fhir, fire,
                                                              crisis_team, deliver):
    _, headers = fhir_client(callback_url=callback.url)
    referral, _, _ = post_fhir(falls_referral(), headers=headers)
    fire(crisis_team, referral, "accept")
    deliver()
    assert [row.channel for row in outcome_rows()] == ["sender_webhook"]
    assert receiver.received == [] and len(callback.received) == 1


def test_a_json_api_referral_is_never_told_through_bars(registered, make_sender, post, fire, crisis_team, deliver):
    _, headers, _ = make_sender(callback_url=None)
    referral = post(headers)
    fire(crisis_team, referral, "accept")
    deliver()
    assert registered.received == [] and outcome_rows() == []


def test_a_deactivated_endpoint_is_not_told(registered, post_fhir, fire, crisis_team, deliver):
    referral, _, _ = post_fhir(falls_referral())
    database.session.scalars(database.select(FhirEndpoint)).one().is_active = False
    database.session.commit()
    fire(crisis_team, referral, "accept")
    deliver()
    assert registered.received == [] and outcome_rows() == []


# ------------------------------------------------------------------ registering

def test_registering_is_audited_and_re_registering_re_points_it(register, fhir_sender, db):
    first = register(SENDER_ID, "https://sender.example/fhir/", fhir_sender[0])
    assert first.exit_code == 0, first.output
    assert "https://sender.example/fhir/$process-message" in first.output
    again = register("http://fhir.nhs.uk/Id/dos-service-id:2222222222", "https://moved.example/fhir", fhir_sender[0])
    assert again.exit_code == 0, again.output
    assert "(was https://sender.example/fhir)" in again.output
    [row] = db.session.scalars(db.select(FhirEndpoint)).all()
    assert (row.endpoint, row.base_url, row.is_active, row.client.name) == (
        SENDER_ID, "https://moved.example/fhir", True, fhir_sender[0])
    audits = db.session.scalars(db.select(AuditEvent).where(AuditEvent.event == "fhir_endpoint_registered")
                                .order_by(AuditEvent.id)).all()
    assert [(a.detail["url"], a.detail["previous_url"]) for a in audits] == [
        ("https://sender.example/fhir", None), ("https://moved.example/fhir", "https://sender.example/fhir")]
    assert all(a.actor_name == "admin (CLI)" for a in audits)


@pytest.mark.parametrize("endpoint, url, option, message", [
    ("2222222222", "https://sender.example/fhir", "--endpoint", "as system|value"),
    ("https://fhir.nhs.uk/Id/dos-service-id|", "https://sender.example/fhir", "--endpoint", "as system|value"),
    ("https://fhir.nhs.uk/Id/dos-service-id|22 22", "https://sender.example/fhir", "--endpoint", "as system|value"),
    (SENDER_ID, "sender.example/fhir", "--url", "Enter the full https://"),
    (SENDER_ID, "ftp://sender.example/fhir", "--url", "Enter the full https://"),
    (SENDER_ID, "https://user:pw@sender.example/fhir", "--url", "Leave the user name and password out"),
    (SENDER_ID, "https://sender.example/fhir/$process-message", "--url", "without /$process-message"),
    (SENDER_ID, "https://sender.example/fhir?x=1", "--url", "without ?query"),
    (SENDER_ID, "https://sender.example/" + "a" * 480, "--url", "at most 480 characters"),
    (SENDER_ID, " ", "--url", "Enter the sender's FHIR base URL"),
])
def test_a_bad_identifier_or_url_is_refused_naming_the_option(register, fhir_sender, db, endpoint, url, option,
                                                              message):
    result = register(endpoint, url, fhir_sender[0])
    assert result.exit_code == 2
    assert f"{option}: " in result.output and message in result.output, result.output
    assert db.session.scalars(db.select(FhirEndpoint)).all() == []
    assert db.session.scalars(db.select(AuditEvent).where(AuditEvent.event == "fhir_endpoint_registered")).all() == []
