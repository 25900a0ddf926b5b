"""A BaRS endpoint belongs to one API client: another client naming it is refused
at intake, outcomes go only to the posting client's own endpoint, an endpoint
nobody owns (registered before endpoints had owners) is never used, and what is
queued is re-read when delivery claims it (revoked client, removed or re-pointed
endpoint). Real HTTP receivers on the loopback say what was sent."""
from datetime import UTC, datetime, timedelta

import pytest

from spoa.extensions import db as database
from spoa.models import ApiClient, AuditEvent, FhirEndpoint, FhirMessage, Notification, Referral
from spoa.notifications.delivery import backoff
from tests.support.fixtures.bars import SENDER_ID, falls_referral, send_message
from tests.support.fixtures.outcomes import outcome_rows, told

pytestmark = [pytest.mark.both_databases, pytest.mark.usefixtures("dos_ids")]

OTHER_ID = "https://fhir.nhs.uk/Id/dos-service-id|3333333333"


def counts() -> dict:
    database.session.expire_all()
    return {model.__name__: database.session.query(model).count()
            for model in (Referral, FhirMessage, AuditEvent, Notification)}


def revoke(name):
    from spoa.services.api_clients import revoke_api_client

    revoke_api_client(database.session.scalars(database.select(ApiClient).where(ApiClient.name == name)).one(),
                      by=None)
    database.session.remove()


def legacy_endpoint(endpoint, url):
    """A row as migration 0021 leaves one registered before endpoints had owners."""
    database.session.add(FhirEndpoint(endpoint=endpoint, base_url=url, is_active=True, api_client_id=None))
    database.session.commit()


# ------------------------------------------------------------------ intake

@pytest.mark.parametrize("spelt", [SENDER_ID, "http://fhir.nhs.uk/Id/dos-service-id:2222222222"])
def test_a_client_naming_another_clients_endpoint_is_refused_and_nothing_is_stored(
        client, registered, fhir_sender, fhir_client, spelt):
    _, intruder = fhir_client()
    before = counts()
    response, ids = send_message(client, falls_referral(spelt), intruder)
    assert response.status_code == 403
    [issue] = response.get_json()["issue"]
    assert issue["code"] == "forbidden" and issue["details"]["coding"][0]["code"] == "REC_FORBIDDEN"
    assert issue["expression"] == ["Bundle.entry[0].resource.source.endpoint"]
    assert "another sending system" in issue["diagnostics"]
    answer = response.get_data(as_text=True)
    assert fhir_sender[0] not in answer and registered.base_url not in answer and "127.0.0.1" not in answer
    assert response.headers["X-Request-ID"] == ids["X-Request-ID"]
    assert counts() == before


def test_a_message_naming_an_unregistered_or_unowned_endpoint_is_taken_and_its_sender_not_told(
        receiver, post_fhir, fire, crisis_team, deliver):
    legacy_endpoint(SENDER_ID, receiver.base_url)
    for endpoint in (SENDER_ID, OTHER_ID):
        referral, _, _ = post_fhir(falls_referral(endpoint))
        fire(crisis_team, referral, "accept")
        assert deliver() == 0
        assert told(referral["id"]) == [
            ("accept", "sender not told: no BaRS endpoint registered for the sending system")]
    assert outcome_rows() == [] and receiver.received == []


# ------------------------------------------------------------------ outcomes only to the poster's own

def test_an_unowned_endpoint_is_told_once_an_admin_claims_it_for_its_client(
        receiver, register, fhir_sender, post_fhir, fire, crisis_team, deliver):
    legacy_endpoint(SENDER_ID, receiver.base_url)
    referral, _, _ = post_fhir(falls_referral())
    fire(crisis_team, referral, "accept")
    deliver()
    assert receiver.received == []
    claimed = register(SENDER_ID, receiver.base_url, fhir_sender[0])
    assert claimed.exit_code == 0, claimed.output
    fire(crisis_team, referral, "first_contact")
    assert deliver() == 1 and len(receiver.received) == 1
    [audit] = database.session.scalars(database.select(AuditEvent).where(
        AuditEvent.event == "fhir_endpoint_claimed")).all()
    assert audit.detail["client"] == fhir_sender[0] and audit.detail["endpoint"] == SENDER_ID


def test_outcomes_of_another_clients_referral_never_go_to_an_endpoint(
        make_receiver, register, fhir_client, post_fhir, fire, crisis_team, deliver):
    """B's referral named an endpoint nobody had registered (taken); then it is registered
    for A. B's outcomes do not go there: the endpoint is A's, the referral B's."""
    a_receiver = make_receiver()
    (a_name, _), (_, b_headers) = fhir_client(), fhir_client()
    referral, _, _ = post_fhir(falls_referral(), headers=b_headers)
    assert register(SENDER_ID, a_receiver.base_url, a_name).exit_code == 0
    fire(crisis_team, referral, "accept")
    assert deliver() == 0
    assert a_receiver.received == [] and outcome_rows() == []


def test_an_outcome_queued_for_an_endpoint_given_to_another_client_is_not_sent(
        make_receiver, cli, register, fhir_client, post_fhir, fire, crisis_team, deliver):
    """B's own endpoint, with an outcome waiting; the endpoint is then removed and registered
    for A (at A's address): the waiting outcome is B's, and goes nowhere."""
    b_receiver, a_receiver = make_receiver(), make_receiver()
    (a_name, _), (b_name, b_headers) = fhir_client(), fhir_client()
    assert register(SENDER_ID, b_receiver.base_url, b_name).exit_code == 0
    referral, _, _ = post_fhir(falls_referral(), headers=b_headers)
    fire(crisis_team, referral, "accept")
    assert cli.invoke(args=["spoa", "remove-fhir-endpoint", "--endpoint", SENDER_ID]).exit_code == 0
    assert register(SENDER_ID, a_receiver.base_url, a_name).exit_code == 0
    assert deliver() == 0
    assert a_receiver.received == [] and b_receiver.received == []
    [row] = outcome_rows()
    assert (row.status, row.attempts) == ("cancelled", 0)
    assert told(referral["id"]) == [
        ("accept", "sender not told: its BaRS endpoint was removed, or given to another client, before it was sent")]


# ------------------------------------------------------------------ re-read when delivery claims it

def test_a_revoked_clients_queued_outcome_is_not_sent(registered, fhir_sender, post_fhir, fire, crisis_team,
                                                     deliver):
    referral, _, _ = post_fhir(falls_referral())
    fire(crisis_team, referral, "accept")
    revoke(fhir_sender[0])
    assert deliver() == 0
    assert registered.received == []
    [row] = outcome_rows()
    assert (row.status, row.next_attempt_at, row.attempts) == ("cancelled", None, 0)
    assert "revoked" in row.last_error
    assert told(referral["id"]) == [("accept", "sender not told: its API client was revoked before it was sent")]
    assert deliver() == 0 and registered.received == []  # never again


def test_a_revoked_json_clients_queued_callback_is_not_sent(callback, make_sender, post, fire, crisis_team, deliver):
    row, headers, _ = make_sender(callback_url=callback.url)
    referral = post(headers)
    fire(crisis_team, referral, "accept")
    revoke(row.name)
    assert deliver() == 0
    assert callback.received == []
    assert [(n.channel, n.status) for n in outcome_rows()] == [("sender_webhook", "cancelled")]


def test_a_retried_outcome_stops_once_its_client_is_revoked(frozen_now, registered, fhir_sender, post_fhir, fire,
                                                            crisis_team, deliver):
    at = datetime(2026, 11, 23, 9, 14, tzinfo=UTC)
    clock = frozen_now(at)
    referral, _, _ = post_fhir(falls_referral())
    fire(crisis_team, referral, "accept")
    registered.answers = [(503, {"resourceType": "OperationOutcome", "issue": [
        {"severity": "error", "code": "transient"}]})]
    assert deliver() == 1 and len(registered.received) == 1
    revoke(fhir_sender[0])
    clock.move_to(at + backoff(1) + timedelta(seconds=1))
    assert deliver() == 0
    assert len(registered.received) == 1
    [row] = outcome_rows()
    assert (row.status, row.attempts) == ("cancelled", 1)


def test_a_re_pointed_endpoints_pending_outcome_goes_to_the_new_url(
        make_receiver, register, fhir_sender, post_fhir, fire, crisis_team, deliver):
    old, new = make_receiver(), make_receiver()
    assert register(SENDER_ID, old.base_url, fhir_sender[0]).exit_code == 0
    referral, _, _ = post_fhir(falls_referral())
    fire(crisis_team, referral, "accept")
    moved = register(SENDER_ID, new.base_url, fhir_sender[0])
    assert moved.exit_code == 0 and f"(was {old.base_url})" in moved.output
    assert deliver() == 1
    assert old.received == [] and [path for path, _, _ in new.received] == ["/fhir/$process-message"]
    [row] = outcome_rows()
    assert (row.status, row.target) == ("delivered", new.base_url + "/$process-message")


def test_a_removed_endpoints_pending_outcome_is_not_sent(registered, cli, post_fhir, fire, crisis_team, deliver):
    referral, _, _ = post_fhir(falls_referral())
    fire(crisis_team, referral, "accept")
    assert cli.invoke(args=["spoa", "remove-fhir-endpoint", "--endpoint", SENDER_ID]).exit_code == 0
    assert deliver() == 0
    assert registered.received == [] and [n.status for n in outcome_rows()] == ["cancelled"]
