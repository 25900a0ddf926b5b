"""What SPOA's FHIR receiver accepts, said once: the MessageDefinitions (GET
/fhir/MessageDefinition), the CapabilityStatement's messaging and resources (GET
/fhir/metadata), and the FHIR operations in the OpenAPI document (/api/openapi.json)."""
import uuid

from spoa.schemas.fhir.push import PUSH_USE_CASE, USE_CASE_SYSTEM

DEFINITION_BASE = "https://fhir.nhs.uk/MessageDefinition/bars-message-servicerequest-request-"
EVENTS = "https://fhir.nhs.uk/CodeSystem/message-events-bars"
DOS_SERVICE_ID = "https://fhir.nhs.uk/Id/dos-service-id"
CATEGORY = "https://fhir.nhs.uk/CodeSystem/message-category-servicerequest"
# (category, title, what SPOA does with it)
MESSAGES = (
    ("referral", "BaRS referral (servicerequest-request, category referral)",
     "A referral into the single point of access: routed by the same rules as every referral; reason new, "
     "or update (applied only when its meta.lastUpdated is newer); status revoked or entered-in-error cancels it."),
    ("validation", f"999 call pushed for validation (BaRS Application 4, use case {PUSH_USE_CASE})",
     "A Category 3 or 4 call the ambulance service pushes from its stack to urgent community response "
     f"(use case {PUSH_USE_CASE}, or none named). Answered with the call and SPOA's own Encounter, planned, "
     "named by SPOA's reference. occurrencePeriod.end is the breach time. Patients may be unknown."),
)
READS = ("read", "vread", "history-instance")


def message_definition(category: str, title: str, description: str, dos_id: str) -> dict:
    definition = {
        "resourceType": "MessageDefinition", "id": f"spoa-{dos_id}-{category}",
        "url": DEFINITION_BASE + category,
        "identifier": [{"system": DOS_SERVICE_ID, "value": dos_id}],
        "version": "1.x", "name": f"SPOA{category.capitalize()}", "title": title, "status": "active",
        "date": "2026-12-08", "publisher": "SPOA", "description": description,
        "eventCoding": {"system": EVENTS, "code": "servicerequest-request"},
        "category": "consequence",
        "focus": [{"code": "ServiceRequest", "min": 1, "max": "1"}],
        "responseRequired": "always",
        "useContext": [{"code": {"system": "http://terminology.hl7.org/CodeSystem/usage-context-type",
                                 "code": "task"},
                        "valueCodeableConcept": {"coding": [{"system": CATEGORY, "code": category}]}}],
    }
    if category == "validation":
        definition["useContext"].append({
            "code": {"system": "http://terminology.hl7.org/CodeSystem/usage-context-type", "code": "focus"},
            "valueCodeableConcept": {"coding": [{"system": USE_CASE_SYSTEM, "code": PUSH_USE_CASE}]}})
    return definition


def searchset(dos_ids, base_url: str) -> dict:
    """Every message SPOA accepts, for each Directory of Services id it receives at."""
    resources = [message_definition(category, title, text, dos_id)
                 for dos_id in dos_ids for category, title, text in MESSAGES]
    return {"resourceType": "Bundle", "id": str(uuid.uuid4()), "type": "searchset", "total": len(resources),
            "entry": [{"fullUrl": f"{base_url}/MessageDefinition/{r['id']}", "resource": r,
                       "search": {"mode": "match"}} for r in resources]}


def supported_messages() -> list[dict]:
    return [{"mode": "receiver", "definition": DEFINITION_BASE + category} for category, _, _ in MESSAGES]


def resources() -> list[dict]:
    return [{"type": "ServiceRequest", "interaction": [{"code": code} for code in READS],
             "versioning": "versioned", "readHistory": True,
             "documentation": "The sending system's own ServiceRequests, by the id it gave them (or its fullUrl's "
                              "uuid): the version SPOA holds, and every version received. 404 for anyone else's."},
            {"type": "MessageDefinition", "interaction": [{"code": "search-type"}],
             "documentation": "What SPOA accepts, per Directory of Services id."}]


# ---------------------------------------------------------------- the OpenAPI document
FHIR_JSON, FHIR_XML = "application/fhir+json", "application/fhir+xml"
_TRACING = [{"in": "header", "name": name, "required": required, "schema": {"type": "string", "format": "uuid"},
             "description": text} for name, required, text in (
    ("X-Request-ID", True, "A GUID per message; with X-Correlation-ID, what duplicates are known by"),
    ("X-Correlation-ID", True, "A GUID for the conversation"))]
_RESOURCE = {"type": "object", "required": ["resourceType"],
             "properties": {"resourceType": {"type": "string"}}, "additionalProperties": True}


def _content(description: str) -> dict:
    return {"description": description, "content": {FHIR_JSON: {"schema": _RESOURCE}, FHIR_XML: {"schema": _RESOURCE}}}


_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}


def _outcomes(*statuses: int) -> dict:
    """OperationOutcome answers (BaRS http-error-codes REC_*); a 429 or 503 says when to retry."""
    return {str(s): {**_content("OperationOutcome (BaRS http-error-codes REC_*)"),
                     **({"headers": _RETRY_AFTER} if s in (429, 503) else {})} for s in statuses}


def openapi_paths() -> dict:
    """The FHIR receiver's operations, as the NHS API platform would publish them."""
    sr_id = {"in": "path", "name": "service_request_id", "required": True, "schema": {"type": "string"},
             "description": "The sender's ServiceRequest id (or its fullUrl's uuid)"}
    bearer = [{"bearer": []}]
    return {
        "/fhir/$process-message": {"post": {
            "summary": "Receive a BaRS message: a referral, or a 999 call pushed for validation (use case a4t3); "
                       "reason new or update; status revoked or entered-in-error cancels",
            "tags": ["FHIR"], "security": bearer, "parameters": _TRACING,
            "requestBody": {"required": True, "content": {FHIR_JSON: {"schema": _RESOURCE},
                                                          FHIR_XML: {"schema": _RESOURCE}}},
            "responses": {"200": _content("A referral: an informational OperationOutcome naming SPOA's reference. "
                                          "A pushed call: the call with SPOA's own Encounter, status planned."),
                          **_outcomes(400, 401, 403, 409, 413, 415, 422, 429, 503)}}},
        "/fhir/metadata": {"get": {"summary": "The CapabilityStatement", "tags": ["FHIR"],
                                   "responses": {"200": _content("CapabilityStatement")}}},
        "/fhir/MessageDefinition": {"get": {"summary": "What SPOA accepts, per Directory of Services id",
                                            "tags": ["FHIR"],
                                            "responses": {"200": _content("Bundle (searchset) of MessageDefinition")}}},
        "/fhir/ServiceRequest/{service_request_id}": {"get": {
            "summary": "The version SPOA holds of a ServiceRequest this system sent", "tags": ["FHIR"],
            "security": bearer, "parameters": [sr_id],
            "responses": {"200": _content("ServiceRequest"), **_outcomes(401, 404, 429, 503)}}},
        "/fhir/ServiceRequest/{service_request_id}/_history": {"get": {
            "summary": "Every version received of a ServiceRequest this system sent, newest first", "tags": ["FHIR"],
            "security": bearer, "parameters": [sr_id],
            "responses": {"200": _content("Bundle (history)"), **_outcomes(401, 404, 429, 503)}}},
        "/fhir/ServiceRequest/{service_request_id}/_history/{version}": {"get": {
            "summary": "One version of a ServiceRequest this system sent", "tags": ["FHIR"], "security": bearer,
            "parameters": [sr_id, {"in": "path", "name": "version", "required": True, "schema": {"type": "integer"}}],
            "responses": {"200": _content("ServiceRequest"), **_outcomes(401, 404, 429, 503)}}},
    }
