"""POST /fhir/$process-message (a BaRS referral in) and GET /fhir/metadata."""
import json
import re

from flask import current_app, g, request

from spoa.api import rate_limit
from spoa.api.auth import require_actor
from spoa.domain.policy import current_policy
from spoa.extensions import db
from spoa.fhir import bp, changes
from spoa.notifications.fhir_endpoints import named_by_another
from spoa.platform.timekeeping import now
from spoa.schemas.fhir import adapter, definitions, push, validation
from spoa.schemas.fhir.outcome import JSON, XML, FhirError, answer_format, echoed, outcome_body, render, request_format
from spoa.services.intake import IntakeConflict, receive_referral

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_ECHOABLE = re.compile(r"^[\x21-\x7e]{1,64}$")  # echoed only if harmless in a header
_ACCEPT_VERSION = re.compile(r"version\s*=\s*\"?([0-9A-Za-z.-]{1,32})")


def mapping():
    return current_app.extensions["spoa_fhir_mapping"]  # loaded and checked at start (fhir.init_app)


def _tracing_headers() -> tuple[str, str]:
    values = {}
    g.fhir_echo = {}
    for name in ("X-Request-ID", "X-Correlation-ID"):
        value = request.headers.get(name)
        if value is not None and _ECHOABLE.match(value):
            g.fhir_echo[name] = value
        values[name] = value
    for name, value in values.items():
        if value is None or not _GUID.match(value):
            raise FhirError.one(400, "invalid", f"{name} is required and must be a GUID "
                                                "(for example 2b3fc7ad-7e10-4dfc-9b3f-2b3b0c0d7f6a).")
    return values["X-Request-ID"].lower(), values["X-Correlation-ID"].lower()


def _accept_version() -> str | None:
    match = _ACCEPT_VERSION.search(request.headers.get("Accept", ""))
    return match.group(1) if match else None


def _source_for(client) -> str:
    """A FHIR client is bound to the one source it posts as (nhs111, emas, gp, ...)."""
    sources = client.sources or []
    if len(sources) != 1:
        raise FhirError.one(403, "forbidden", "A FHIR sending system posts as exactly one source: ask SPOA to "
                                              "register this client with one (nhs111, emas, gp, ...).")
    return sources[0]


def _check_own_endpoint(source_endpoint, client_id) -> None:
    """A sender names only its own endpoint: outcomes about the referral would go there,
    into another organisation's system. The answer names neither that client nor its URL."""
    if named_by_another(source_endpoint, client_id):
        raise FhirError.one(403, "forbidden", "MessageHeader.source.endpoint is registered to another sending "
                                              "system: name this system's own endpoint (or none). Nothing was "
                                              "stored.", "Bundle.entry[0].resource.source.endpoint")


@bp.post("/$process-message")
def process_message():
    request_id, correlation_id = _tracing_headers()
    actor = require_actor()
    rate_limit.enforce(g.api_client)
    source = _source_for(g.api_client)
    content_type = request_format()
    if content_type is None:
        raise FhirError.one(415, "not-supported", "Send the message as application/fhir+json or "
                                                  "application/fhir+xml.")
    raw = request.get_data(cache=False)  # 413 over MAX_CONTENT_LENGTH (raised by Flask)
    bundle = adapter.parse(raw, content_type)
    dos_ids = current_app.config["SPOA_DOS_SERVICE_IDS"]
    checked = adapter.read(bundle, dos_service_ids=dos_ids, accept_version=_accept_version())
    header = checked.header
    _check_own_endpoint(header.source.endpoint if header.source else None, g.api_client.id)
    if checked.focus.reason == "update" or checked.focus.status in push.CANCELLED:
        return changes.receive(raw=raw, bundle=bundle, checked=checked, actor=actor, client=g.api_client,
                               source=source, request_id=request_id, correlation_id=correlation_id,
                               mapping=mapping(), dos_service_ids=dos_ids, accept_version=_accept_version())
    translation = adapter.translate(bundle, source=source, dos_service_ids=dos_ids, mapping=mapping(),
                                    accept_version=_accept_version(), checked=checked)
    # The X-Request-ID is the referral's source_reference: unique per message in BaRS
    # (Bundle.id is not), and the JSON API's own idempotency key for this client.
    translation.body["source_reference"] = request_id
    data, check_failed = validation.load(translation)

    def keep_message(referral):
        # The message as received: version 1 of its sender's ServiceRequest.
        row = changes.message_row(raw=raw, client_id=g.api_client.id, request_id=request_id,
                                  correlation_id=correlation_id, bundle=bundle, checked=checked,
                                  received_at=referral.received_at, version=1)
        row.referral = referral
        db.session.add(row)

    try:
        result = receive_referral(data, actor=actor, client_id=g.api_client.id, channel="fhir",
                                  nhs_number_check_failed=check_failed, with_referral=keep_message,
                                  details=translation.details)
    except IntakeConflict as exc:
        raise FhirError.one(409, "conflict", f"A message with this X-Request-ID was already received with "
                                             f"different content ({exc.referral.reference}).") from None
    except RuntimeError:
        # Every attempt failed on a unique constraint that is not this client's referral:
        # the same two headers were already used (by another client).
        if changes.already_received(request_id, correlation_id):
            raise changes.duplicate() from None
        raise
    if not result.created:
        raise changes.duplicate()
    referral = result.referral
    if referral.is_pushed_call:
        # The acknowledgement (IG VALRESP01): the call with SPOA's own Encounter, planned.
        subject = checked.sr.subject.reference if checked.sr.subject else None
        answer = push.acknowledgement(json.loads(bundle.model_dump_json()), referral, subject)
        return render(answer, 200, echoed())
    routes = current_policy().routes
    route = routes[referral.route].name if referral.route in routes else referral.route
    text = (f"Referral received as {referral.reference}; route: {route} ({referral.route}), "
            f"urgency: {referral.urgency}.")
    body = outcome_body(200, [("informational", text, None)], severity="information")
    body["issue"][0]["details"] = {"text": text, "coding": [
        {"system": push.REFERENCE_SYSTEM, "code": referral.reference, "display": route}]}
    return render(body, 200, echoed())


def echo_tracing() -> None:
    """For a read, which needs neither header: echoed when sent (and harmless)."""
    g.fhir_echo = {k: v for k in ("X-Request-ID", "X-Correlation-ID")
                   if (v := request.headers.get(k)) is not None and _ECHOABLE.match(v)}


@bp.get("/metadata")
def metadata():
    """What SPOA accepts, as a CapabilityStatement (no token needed to read it)."""
    echo_tracing()
    statement = {
        "resourceType": "CapabilityStatement", "status": "active",
        "date": now().strftime("%Y-%m-%dT%H:%M:%S+00:00"),  # aware UTC, the app's one clock
        "publisher": "SPOA", "kind": "instance", "fhirVersion": "4.0.1",
        "format": [JSON, XML],
        "implementation": {"description": "SPOA single point of access: BaRS receiver of referrals and of 999 "
                                          "calls pushed for validation (BaRS 1.x, Application 4 use case a4t3)",
                           "url": request.url_root.rstrip("/") + "/fhir"},
        "rest": [{"mode": "server", "security": {"description": "OAuth-style bearer token issued by SPOA "
                                                                "(Authorization: Bearer <token>)"},
                  "resource": definitions.resources(),
                  "operation": [{"name": "process-message",
                                 "definition": "http://hl7.org/fhir/OperationDefinition/MessageHeader-process-message"}]}],
        "messaging": [{"documentation": "servicerequest-request, reason new or update, ServiceRequest category "
                                        "referral, or validation (use case a4t3, or none named); status revoked "
                                        "or entered-in-error cancels; X-Request-ID and X-Correlation-ID required. "
                                        "GET MessageDefinition lists them per Directory of Services id.",
                       "supportedMessage": definitions.supported_messages()}],
    }
    return render(statement, 200, echoed(), fmt=_metadata_format())


def _metadata_format() -> str:
    return answer_format()


# Any other address under /fhir/, or a known one with another method, answers as the
# FHIR endpoint does (an OperationOutcome), not as the staff pages would: routing picks
# this rule before it would raise its own 404 or 405, which no blueprint handler sees.
_KNOWN = {"$process-message": ("POST",), "metadata": ("GET", "HEAD"), "MessageDefinition": ("GET", "HEAD")}


_EVERY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "QUERY"]


@bp.route("/", defaults={"unknown": ""}, methods=_EVERY_METHOD)  # /fhir/ itself (a read of "..", say)
@bp.route("/<path:unknown>", methods=_EVERY_METHOD)
def not_here(unknown):
    from werkzeug.exceptions import MethodNotAllowed, NotFound

    if unknown in _KNOWN:
        raise MethodNotAllowed(valid_methods=list(_KNOWN[unknown]))
    raise NotFound("SPOA's FHIR endpoint has $process-message, metadata, MessageDefinition and "
                   "ServiceRequest/{id} (with _history) only.")
