"""What the ambulance service hears of a 999 call it pushed (BaRS Application 4): taken
(SPOA's Encounter in-progress), returned (cancelled, with a rejected-reasons-bars code
and words) by the rules at once, by the crisis service's system, by a supervisor's page,
or by SPOA itself at the breach time, and finished (with whether an ambulance is
needed). A real HTTP server on the loopback stands in for the ambulance service; every
message it receives is read with fhir.resources."""
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from spoa.extensions import db as database
from spoa.models import AuditEvent, Clock, Notification, Referral
from tests.fhir.push_messages import change_of, pushed_call, service_request
from tests.support.fixtures.bars import resources, send_message
from tests.support.fixtures.outcomes import told
from tests.support.signing_in import csrf_token

pytestmark = [pytest.mark.usefixtures("dos_ids")]

AMBULANCE_ID = "https://fhir.nhs.uk/Id/dos-service-id|3333333333"  # push_messages.pushed_call's source
REJECTED = "https://fhir.nhs.uk/CodeSystem/rejected-reasons-bars"
RECEIVED = datetime(2026, 11, 30, 9, 15, tzinfo=UTC)  # the call's breach time is 09:35
BREACH = datetime(2026, 11, 30, 9, 35, tzinfo=UTC)


@pytest.fixture
def ambulance(make_api_client):
    """The ambulance service's system: (its name, bearer headers)."""
    row, token = make_api_client(sources=["emas"], name=f"ambulance-{uuid.uuid4().hex[:6]}")
    return row.name, {"Authorization": f"Bearer {token}"}


@pytest.fixture
def stack(register, make_receiver, ambulance):
    """The ambulance service's FHIR API, registered for the client that pushes the calls."""
    receiver = make_receiver()
    result = register(AMBULANCE_ID, receiver.base_url, ambulance[0])
    assert result.exit_code == 0, result.output
    return receiver


@pytest.fixture
def push(client, ambulance, frozen_now):
    """push(**pushed_call options) -> (the referral's id and reference, the message, its headers), at RECEIVED."""

    def send(message=None, **options):
        frozen_now(RECEIVED)
        message = message or pushed_call(**options)
        response, ids = send_message(client, message, ambulance[1])
        assert response.status_code == 200, response.get_data(as_text=True)
        encounter = next(e["resource"] for e in response.get_json()["entry"]
                         if e["resource"]["resourceType"] == "Encounter" and e["resource"]["status"] == "planned")
        return {"id": encounter["id"], "reference": encounter["identifier"][0]["value"]}, message, ids

    return send


def referral_of(call) -> Referral:
    database.session.expire_all()
    return database.session.get(Referral, uuid.UUID(call["id"]))


def spoa_encounter(bundle):
    [encounter] = [e for e in resources(bundle, "Encounter")
                   if any(i.system == "https://spoa.nhs.uk/Id/referral-reference" for i in e.identifier or [])]
    return encounter


def returns_of(call) -> list[dict]:
    rows = database.session.scalars(database.select(AuditEvent).where(
        AuditEvent.referral_id == uuid.UUID(call["id"]), AuditEvent.event == "return_to_sender")).all()
    return [row.detail for row in rows]


def supervisor_alerts(call) -> list[str]:
    return [n.subject for n in database.session.scalars(database.select(Notification).where(
        Notification.referral_id == uuid.UUID(call["id"]), Notification.alert.is_not(None),
        Notification.channel == "in_app"))]


def test_a_call_needing_an_ambulance_goes_back_at_once_and_the_supervisor_is_told(stack, push, deliver):
    call, message, ids = push(message=_with_red_flag(pushed_call()))
    referral = referral_of(call)
    assert (referral.state, referral.route, referral.decisions[0].rule_id) == (
        "returned", "return_to_sender", "push-needs-ambulance")
    [detail] = returns_of(call)
    assert (detail["reason_code"], detail["reason"], detail["automatic"]) == ("OTH", "needs an ambulance", False)
    assert supervisor_alerts(call) == [f"{call['reference']}: returned to the ambulance service (needs an ambulance)"]
    assert deliver() == 1
    [(path, headers, _)] = stack.received
    assert path == "/fhir/$process-message" and headers["x-correlation-id"] == ids["X-Correlation-ID"]
    [bundle] = stack.bundles()
    [header] = resources(bundle, "MessageHeader")
    assert header.response.identifier == message["id"]
    encounter = spoa_encounter(bundle)
    assert header.focus[0].reference == f"urn:uuid:{call['id']}"  # the Encounter the acknowledgement named
    assert encounter.id == call["id"] and encounter.status == "cancelled"
    [reason] = encounter.reasonCode
    assert (reason.coding[0].system, reason.coding[0].code, reason.text) == (REJECTED, "OTH", "needs an ambulance")
    assert resources(bundle, "ServiceRequest")[0].status == "revoked"


def test_a_call_from_outside_the_area_goes_back_at_once(stack, push, deliver):
    call, _, _ = push(postcode="MK9 1AA")
    assert referral_of(call).decisions[0].rule_id == "push-out-of-area"
    assert returns_of(call)[0]["reason"] == "outside the area"
    assert supervisor_alerts(call) == []  # the row alerts nobody
    deliver()
    [bundle] = stack.bundles()
    assert spoa_encounter(bundle).reasonCode[0].text == "outside the area"


def test_taken_then_finished_without_an_ambulance(stack, push, fire, crisis_team, deliver):
    call, message, _ = push()
    referral = referral_of(call)
    assert (referral.route, referral.urgency, referral.state) == ("crisis_response", "emergency", "offered")
    deliver()
    assert stack.received == []  # the acknowledgement was the answer to the push
    fire(crisis_team, call, "accept")
    deliver()
    fire(crisis_team, call, "first_contact")
    fire(crisis_team, call, "complete")
    deliver()
    interim, final = stack.bundles()
    assert spoa_encounter(interim).status == "in-progress"
    assert resources(interim, "ServiceRequest")[0].status == "active"
    assert resources(interim, "ServiceRequest")[0].category[0].coding[0].code == "validation"
    assert spoa_encounter(final).status == "finished"
    assert resources(final, "ServiceRequest")[0].status == "completed"
    [plan] = resources(final, "CarePlan")
    assert plan.activity[0].outcomeCodeableConcept[0].coding[0].code == "no-ambulance"
    assert {resources(b, "MessageHeader")[0].response.identifier for b in (interim, final)} == {message["id"]}
    assert [e for e, _ in told(call["id"])] == ["accept", "complete"]


def test_the_clinician_finds_it_needs_an_ambulance_after_all(stack, push, fire, crisis_team, deliver, client):
    call, _, _ = push()
    fire(crisis_team, call, "accept")
    deliver()  # the interim first: a delivery pass may send its messages side by side
    fire(crisis_team, call, "first_contact")
    refused = client.post(f"/api/v1/referrals/{call['id']}/events", json={"event": "request_ambulance"},
                          headers=crisis_team)
    assert refused.status_code == 422  # why, always
    fire(crisis_team, call, "request_ambulance", reason="Chest pain on arrival")
    assert referral_of(call).state == "redirected"
    deliver()
    interim, final = stack.bundles()
    assert spoa_encounter(interim).status == "in-progress"
    assert spoa_encounter(final).status == "finished"
    assert resources(final, "ServiceRequest")[0].status == "revoked"  # the 999 must act: despatch is required
    [plan] = resources(final, "CarePlan")
    coding = plan.activity[0].outcomeCodeableConcept[0].coding[0]
    assert (coding.code, coding.display) == ("ambulance-required", "Ambulance needed: despatch is required")


def test_the_crisis_service_returns_it_through_the_api(stack, push, client, crisis_team, deliver):
    call, _, _ = push()
    url = f"/api/v1/referrals/{call['id']}/events"
    missing = client.post(url, json={"event": "return_to_sender", "reason": "No one free"}, headers=crisis_team)
    assert missing.status_code == 422 and "reason_code" in missing.get_json()["errors"]
    unknown = client.post(url, json={"event": "return_to_sender", "reason_code": "NOPE", "reason": "x"},
                          headers=crisis_team)
    assert unknown.status_code == 422
    answer = client.post(url, json={"event": "return_to_sender", "reason_code": "RRNA",
                                    "reason": "No clinician free before the breach time"}, headers=crisis_team)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["state"] == "returned"
    assert returns_of(call) == [{"reason_code": "RRNA", "reason": "No clinician free before the breach time",
                                 "automatic": False}]
    assert all(c.status == "cancelled" for c in referral_of(call).clocks if c.met_at is None)
    deliver()
    [bundle] = stack.bundles()
    reason = spoa_encounter(bundle).reasonCode[0]
    assert (reason.coding[0].code, reason.text) == ("RRNA", "No clinician free before the breach time")


def test_a_supervisor_returns_it_from_the_referral_page(stack, push, client, login_as, deliver):
    call, _, _ = push()
    login_as("supervisor")
    page = client.get(f"/referrals/{call['id']}").get_data(as_text=True)
    assert 'name="reason_code"' in page and "Return to the ambulance service" in page
    form = {"csrf_token": csrf_token(client), "event": "return_to_sender", "version": referral_of(call).version,
            "reason_code": "FC", "reason": "Three calls to the patient, no answer", "next": f"/referrals/{call['id']}"}
    assert client.post(f"/referrals/{call['id']}/events", data=form).status_code == 302
    assert referral_of(call).state == "returned"
    assert returns_of(call) == [{"reason_code": "FC", "reason": "Three calls to the patient, no answer",
                                 "automatic": False}]
    deliver()
    assert spoa_encounter(stack.bundles()[0]).reasonCode[0].coding[0].code == "FC"


def test_the_validation_clock_is_due_at_the_breach_time_and_met_by_accepting(push, fire, crisis_team):
    call, _, _ = push()
    clocks = {c.name: c for c in referral_of(call).clocks}
    assert clocks["validation"].deadline == BREACH
    assert clocks["first_contact"].deadline == RECEIVED + timedelta(hours=2)  # the national 2-hour clock too
    fire(crisis_team, call, "accept")
    clocks = {c.name: c for c in referral_of(call).clocks}
    assert clocks["validation"].status == "met"


def test_a_call_naming_no_breach_time_is_due_back_twenty_minutes_after_receipt(push):
    call, _, _ = push(breach=None)
    [clock] = [c for c in referral_of(call).clocks if c.name == "validation"]
    assert clock.deadline == RECEIVED + timedelta(minutes=20)


def test_an_update_moves_the_breach_time_and_its_clock(push, client, ambulance):
    call, message, _ = push()
    later = "2026-11-30T09:50:00+00:00"
    update = change_of(message, last_updated="2026-11-30T09:20:00+00:00")
    service_request(update)["occurrencePeriod"]["end"] = later
    response, _ = send_message(client, update, ambulance[1])
    assert response.status_code == 200, response.get_data(as_text=True)
    running = [c for c in referral_of(call).clocks if c.name == "validation" and c.is_running]
    assert [c.deadline for c in running] == [datetime(2026, 11, 30, 9, 50, tzinfo=UTC)]


def test_an_untaken_call_goes_back_by_itself_at_its_breach_time(stack, push, reconcile_at):
    call, message, _ = push()
    before = reconcile_at(BREACH - timedelta(seconds=1))
    assert referral_of(call).state == "offered" and before["delivered"] == 0
    result = reconcile_at(BREACH + timedelta(seconds=1))
    referral = referral_of(call)
    assert referral.state == "returned"
    assert returns_of(call) == [{"reason_code": "RRNA", "reason": "not taken by the breach time", "automatic": True}]
    row = database.session.scalars(database.select(AuditEvent).where(
        AuditEvent.referral_id == referral.id, AuditEvent.event == "return_to_sender")).one()
    assert row.actor_kind == "system" and row.from_state == "offered"
    assert supervisor_alerts(call) == [
        f"{call['reference']}: returned to the ambulance service (not taken by the breach time)"]
    # Never an escalation on the validation clock: the call went back instead.
    validation = database.session.scalars(database.select(Clock).where(
        Clock.referral_id == referral.id, Clock.name == "validation")).one()
    assert [e.kind for e in validation.effects if e.kind in ("breach", "escalation")] == []
    assert result["delivered"] == 1
    [bundle] = stack.bundles()
    encounter = spoa_encounter(bundle)
    assert encounter.status == "cancelled"
    assert (encounter.reasonCode[0].coding[0].code, encounter.reasonCode[0].text) == (
        "RRNA", "not taken by the breach time")
    assert resources(bundle, "MessageHeader")[0].response.identifier == message["id"]
    again = reconcile_at(BREACH + timedelta(minutes=5))  # nothing more: it is closed
    assert again["delivered"] == 0 and len(returns_of(call)) == 1
    # The push report counts it where it belongs: returned by SPOA at the breach time, not taken.
    from spoa.domain.period import Filters, Period
    from spoa.reports import push as push_report

    [day] = push_report.section(Period(RECEIVED.date(), RECEIVED.date()), Filters()).tables[0].rows
    row = dict(zip((c.key for c in push_report.COLUMNS), day, strict=True))
    assert (row["received"], row["taken"], row["returned_at_breach"], row["returned_rrna"]) == (1, 0, 1, 0)


def test_a_call_taken_in_time_is_not_returned(stack, push, fire, crisis_team, reconcile_at):
    call, _, _ = push()
    fire(crisis_team, call, "accept")
    reconcile_at(BREACH + timedelta(minutes=1))
    assert referral_of(call).state == "accepted" and returns_of(call) == []


def test_a_call_pushed_with_its_breach_time_already_past_goes_back_at_the_next_pass(stack, push, reconcile_at):
    call, _, _ = push(breach="2026-11-30T09:00:00+00:00")  # a quarter of an hour before it arrived
    [clock] = [c for c in referral_of(call).clocks if c.name == "validation"]
    assert clock.deadline == RECEIVED
    reconcile_at(RECEIVED + timedelta(seconds=1))
    assert referral_of(call).state == "returned" and returns_of(call)[0]["automatic"] is True


def test_with_no_ambulance_endpoint_registered_the_timeline_says_it_was_not_told(push, fire, crisis_team):
    call, _, _ = push()
    fire(crisis_team, call, "accept")
    assert told(call["id"]) == [("accept", "sender not told: no BaRS endpoint registered for the sending system")]


def _with_red_flag(message: dict) -> dict:
    """The call with a NEWS2 of 8 among its observations."""
    subject = service_request(message)["subject"]
    message["entry"].append({"fullUrl": f"urn:uuid:{uuid.uuid4()}", "resource": {
        "resourceType": "Observation", "status": "final", "subject": subject,
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "1104051000000101",
                             "display": "Royal College of Physicians NEWS2 total score"}]},
        "valueInteger": 8}})
    return message
