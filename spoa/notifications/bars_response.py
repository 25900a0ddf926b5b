"""The BaRS servicerequest-response that tells a FHIR sender a referral's outcome:
a Bundle of type message, built with fhir.resources (R4B models, as intake reads
them) and serialised as application/fhir+json.

MessageHeader.response.identifier is the original Bundle.id and response.code
``ok`` (the standard's Message-Headers page); focus is the sender's own
ServiceRequest (its fullUrl, id and identifiers, as it sent them) with its new
status and a note; response.details is an OperationOutcome saying what happened.
Nothing about the patient leaves but the sender's own reference to its Patient.

A pushed 999 call's answers (BaRS Application 4, IG VALRESP01A/04/01B) carry SPOA's
own Encounter, the one the acknowledgement named (its id the referral's, its
identifier SPOA's reference), as the focus: ``in-progress`` when taken,
``cancelled`` when returned (reasonCode from rejected-reasons-bars, with the words),
``finished`` when done, with a CarePlan whose activity's outcome says whether an
ambulance is needed (then the ServiceRequest is revoked: despatch is required).

Built when it is sent (notifications/delivery.py), from what was fixed when the
outcome happened (the notification's payload) and the original message as
received: the same bytes on every retry, and a message that cannot be built is a
failed attempt (recorded, retried, alerted), never a lost lifecycle event.
"""
import uuid

EVENTS = "https://fhir.nhs.uk/CodeSystem/message-events-bars"
EVENT = "servicerequest-response"
DOS_SERVICE_ID = "https://fhir.nhs.uk/Id/dos-service-id"
SPOA_REFERENCE = "https://spoa.nhs.uk/Id/referral-reference"
CATEGORY = {"coding": [{"system": "https://fhir.nhs.uk/CodeSystem/message-category-servicerequest",
                        "code": "referral"}]}
DEFAULT_VERSION = "1.4.0"  # BaRS Core, when the original named none
REJECTED_REASONS = "https://fhir.nhs.uk/CodeSystem/rejected-reasons-bars"
PUSH_OUTCOME = "https://spoa.nhs.uk/CodeSystem/push-outcome"  # SPOA's own: whether an ambulance is needed
AMBULANCE = {True: ("ambulance-required", "Ambulance needed: despatch is required"),
             False: ("no-ambulance", "No ambulance needed")}
EMERGENCY = {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "EMER", "display": "emergency"}
JSON_TYPE = "application/fhir+json"


class Unbuildable(Exception):
    """The original message cannot be answered (not readable, no ServiceRequest)."""


def _original(raw: bytes, content_type: str):
    """The original message, read as intake read it (the same parser, hardened XML included)."""
    from spoa.schemas.fhir.adapter import parse
    from spoa.schemas.fhir.outcome import FhirError, format_of

    try:
        return parse(raw, format_of(content_type) or JSON_TYPE)
    except FhirError as exc:  # it was read at intake; a failure here is recorded, not raised
        raise Unbuildable(f"the original message is no longer readable: {exc.issues[0][1]}") from None


def spoa_endpoint(original_header, dos_service_ids) -> str:
    """SPOA's own id as the sender addressed it (one of SPOA_DOS_SERVICE_IDS), else the first configured."""
    from spoa.schemas.fhir.adapter import endpoint_id

    for destination in (original_header.destination or []) if original_header else []:
        if destination.endpoint and endpoint_id(destination.endpoint) in dos_service_ids:
            return f"{DOS_SERVICE_ID}|{endpoint_id(destination.endpoint)}"
    if not dos_service_ids:
        raise Unbuildable("SPOA_DOS_SERVICE_IDS is not set: the response has no source endpoint")
    return f"{DOS_SERVICE_ID}|{dos_service_ids[0]}"


def build(payload: dict, original: dict, dos_service_ids) -> bytes:
    """The response Bundle's bytes. ``payload``: the outcome notification's body
    (data: reference, outcome, state, at; bars: ids and the new status);
    ``original``: the FhirMessage's body, content_type, bundle_id, source_endpoint, bars_version."""
    from fhir.resources.R4B.bundle import Bundle

    data, bars = payload["data"], payload["bars"]
    if not original.get("bundle_id"):
        raise Unbuildable("the original message had no Bundle.id for response.identifier")
    bundle = _original(original["body"], original["content_type"])
    entries = bundle.entry or []
    header = next((e.resource for e in entries if e.resource and e.resource.get_resource_type() == "MessageHeader"),
                  None)
    # The focus found as intake found it (by fullUrl or Type/id: spoa/schemas/fhir/adapter.py).
    from spoa.schemas.fhir.adapter import Entries

    index, request = Entries(bundle).get(header.focus[0], ("ServiceRequest",), "MessageHeader.focus",
                                         required=False) if header and header.focus else (None, None)
    if request is None:
        raise Unbuildable("the original message has no ServiceRequest to answer about")
    asked = entries[index]
    said = f"{data['reference']}: {data['outcome']}"
    oo_url = f"urn:uuid:{uuid.uuid5(uuid.UUID(bars['bundle_id']), 'operation-outcome')}"
    service_request = {
        "resourceType": "ServiceRequest", "status": bars["service_request_status"],
        "intent": request.intent or "plan", "category": [CATEGORY],
        # The sender's own reference to its Patient: it knows who; nothing about them is repeated.
        "subject": {"reference": request.subject.reference} if request.subject and request.subject.reference
        else {"display": "the patient of the original referral"},
        "identifier": [*(i.model_dump(mode="json", exclude_none=True) for i in (request.identifier or [])),
                       {"system": SPOA_REFERENCE, "value": data["reference"]}],
        "note": [{"time": data["at"], "text": said}],
    }
    if request.id:
        service_request["id"] = request.id
    request_url = asked.fullUrl or f"ServiceRequest/{request.id}"
    focus, extra = request_url, []
    if bars.get("push"):
        # The call's category as the sender sent it (validation, its use case), not "referral".
        service_request["category"] = [c.model_dump(mode="json", exclude_none=True) for c in request.category or []] \
            or [CATEGORY]
        focus, extra = _push_entries(bars["push"], data, service_request["subject"], bars["bundle_id"])
    message = {
        "resourceType": "Bundle", "id": bars["bundle_id"], "type": "message", "timestamp": data["at"],
        "meta": {"versionId": original.get("bars_version") or DEFAULT_VERSION},
        "entry": [
            {"fullUrl": f"urn:uuid:{bars['message_header_id']}", "resource": {
                "resourceType": "MessageHeader", "id": bars["message_header_id"],
                "eventCoding": {"system": EVENTS, "code": EVENT},
                "destination": [{"endpoint": original["source_endpoint"]}],
                "source": {"endpoint": spoa_endpoint(header, dos_service_ids), "name": "SPOA"},
                "response": {"identifier": original["bundle_id"], "code": "ok", "details": {"reference": oo_url}},
                "focus": [{"reference": focus}]}},
            {"fullUrl": request_url, "resource": service_request},
            *extra,
            {"fullUrl": oo_url, "resource": {
                "resourceType": "OperationOutcome", "issue": [{
                    "severity": "information", "code": "informational", "diagnostics": said,
                    "details": {"text": said, "coding": [
                        {"system": SPOA_REFERENCE, "code": data["reference"], "display": data["outcome"]}]}}]}},
        ]}
    try:
        return Bundle.model_validate(message).model_dump_json(exclude_none=True).encode()
    except Exception as exc:  # noqa: BLE001  (a value the models refuse: recorded as the attempt's error)
        raise Unbuildable(f"the response does not validate: {type(exc).__name__}: {str(exc)[:200]}") from None


def _push_entries(push: dict, data: dict, subject: dict, bundle_id: str) -> tuple[str, list]:
    """(the focus, the entries) of a pushed call's answer: SPOA's Encounter, and when it is
    finished the CarePlan saying whether an ambulance is needed."""
    encounter_url = f"urn:uuid:{data['referral_id']}"  # as the acknowledgement named it
    encounter = {
        "resourceType": "Encounter", "id": data["referral_id"],
        "identifier": [{"system": SPOA_REFERENCE, "value": data["reference"]}],
        "status": push["encounter_status"], "class": EMERGENCY, "subject": subject,
    }
    if push["encounter_status"] == "cancelled":
        from rules.policy_model import RETURN_REASONS

        code = push.get("reason_code") if push.get("reason_code") in RETURN_REASONS else "OTH"
        encounter["reasonCode"] = [{"coding": [{"system": REJECTED_REASONS, "code": code,
                                                "display": RETURN_REASONS[code]}],
                                    "text": push.get("reason") or RETURN_REASONS[code]}]
    entries = [{"fullUrl": encounter_url, "resource": encounter}]
    if push.get("ambulance_needed") is not None:
        code, words = AMBULANCE[bool(push["ambulance_needed"])]
        entries.append({"fullUrl": f"urn:uuid:{uuid.uuid5(uuid.UUID(bundle_id), 'care-plan')}", "resource": {
            "resourceType": "CarePlan", "status": "completed", "intent": "plan", "subject": subject,
            "encounter": {"reference": encounter_url},
            "activity": [{"outcomeCodeableConcept": [{"coding": [{"system": PUSH_OUTCOME, "code": code,
                                                                   "display": words}], "text": words}]}]}})
    return encounter_url, entries
