"""What a sending system may read back: its own ServiceRequests as SPOA holds them
(GET /fhir/ServiceRequest/{id}, its _history and each version), and what SPOA accepts
(GET /fhir/MessageDefinition). A ServiceRequest is read by the system that sent it
only: to anyone else it does not exist (404, never 403, which would say it does)."""
import json

from flask import current_app, g, request

from spoa.api import rate_limit
from spoa.api.auth import require_actor
from spoa.domain import access
from spoa.fhir import bp
from spoa.fhir.routes import echo_tracing
from spoa.schemas.fhir import adapter, definitions, push
from spoa.schemas.fhir.outcome import FhirError, answer_format, echoed, render
from spoa.services import service_requests


def _caller():
    echo_tracing()
    actor = require_actor()
    rate_limit.enforce(g.api_client)
    return g.api_client, actor


def _not_found(service_request_id: str) -> FhirError:
    return FhirError.one(404, "not-found", f"No ServiceRequest {service_request_id[:64]!r} from this sending system.")


# A closed referral's message bodies go after their retention period (services/retention.py):
# its versions are still listed, with what SPOA kept of each.
_PRUNED = "Not kept: the message was removed after its retention period."


def _resource(message) -> dict:
    """The message's ServiceRequest as received, named by the sender's id, with SPOA's
    version number and when it was last updated."""
    found = None
    if message.body:
        bundle = adapter.parse(message.body, message.content_type or "application/fhir+json")
        header = bundle.entry[0].resource
        _, found = adapter.Entries(bundle).get((header.focus or [None])[0], ("ServiceRequest",), "", required=False)
    if found is not None:
        resource = json.loads(found.model_dump_json())
    else:
        resource = {"resourceType": "ServiceRequest", "status": message.service_request_status or "unknown",
                    "intent": "plan", "subject": {"display": _PRUNED}}
    resource["id"] = message.service_request_id
    meta = dict(resource.get("meta") or {})
    meta["versionId"] = str(message.version)
    meta["lastUpdated"] = push.instant(message.last_updated or message.received_at)
    resource["meta"] = meta
    return resource


def _versions(service_request_id: str):
    """Every version of the caller's own ServiceRequest, oldest first; the reading recorded
    as every view of a referral is (who, when, how)."""
    client, actor = _caller()
    found = service_requests.versions(client.id, service_request_id)
    if not found:
        raise _not_found(service_request_id)
    access.record_view(found[-1].referral, actor, via="fhir")
    return found


@bp.get("/ServiceRequest/<service_request_id>")
def read_service_request(service_request_id):
    return render(_resource(_versions(service_request_id)[-1]), 200, echoed(), fmt=answer_format())


@bp.get("/ServiceRequest/<service_request_id>/_history")
def service_request_history(service_request_id):
    found = _versions(service_request_id)
    base = request.url_root.rstrip("/") + "/fhir"
    body = push.history(service_request_id, [(m.version, m.received_at, _resource(m)) for m in found], base)
    return render(body, 200, echoed(), fmt=answer_format())


# Text, not <int:>: a number the converter refuses (too large) would be a staff 404 page,
# not this endpoint's OperationOutcome.
@bp.get("/ServiceRequest/<service_request_id>/_history/<version>")
def service_request_version(service_request_id, version):
    found = [m for m in _versions(service_request_id) if str(m.version) == version]
    if not found:
        raise FhirError.one(404, "not-found", f"ServiceRequest {service_request_id[:64]!r} has no version "
                                              f"{version[:20]!r}.")
    return render(_resource(found[0]), 200, echoed(), fmt=answer_format())


@bp.get("/MessageDefinition")
def message_definitions():
    """What SPOA accepts, for each Directory of Services id it receives at (no token needed,
    as for metadata): a searchset of MessageDefinitions."""
    echo_tracing()
    body = definitions.searchset(current_app.config["SPOA_DOS_SERVICE_IDS"], request.url_root.rstrip("/") + "/fhir")
    return render(body, 200, echoed(), fmt=answer_format())
