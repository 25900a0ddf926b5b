"""A sender's update or cancellation of a ServiceRequest it sent, at POST
/fhir/$process-message (reason ``update``, or status revoked / entered-in-error), and
the message row every message received is kept as."""
from flask import request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from spoa.domain.lifecycle import LifecycleError
from spoa.extensions import db
from spoa.models import FhirMessage
from spoa.schemas.fhir import adapter, push, validation
from spoa.schemas.fhir.outcome import FhirError, echoed, outcome_body, render
from spoa.services import service_requests
from spoa.services.service_requests import NoVersionTime, Stale, UnknownServiceRequest


def message_row(*, raw: bytes, client_id: int, request_id: str, correlation_id: str, bundle, checked: adapter.Read,
                received_at=None, version: int | None = None) -> FhirMessage:
    """A message as received, with its place among its ServiceRequest's versions."""
    header, focus = checked.header, checked.focus
    endpoint = header.source.endpoint if header.source else None
    return FhirMessage(
        api_client_id=client_id, request_id=request_id, correlation_id=correlation_id,
        bundle_id=(bundle.id or "")[:64] or None, source_endpoint=(endpoint or "")[:255] or None,
        event=adapter.EVENT, reason=focus.reason, bars_version=(checked.version or "")[:32] or None,
        authored_on=adapter.iso_text(checked.sr.authoredOn), content_type=request.headers.get("Content-Type", "")[:100],
        body=raw, received_at=received_at, service_request_id=focus.service_request_id,
        service_request_status=(focus.status or "")[:20] or None, last_updated=focus.last_updated, version=version)


def already_received(request_id, correlation_id) -> bool:
    return db.session.scalar(select(FhirMessage.id).where(
        FhirMessage.request_id == request_id, FhirMessage.correlation_id == correlation_id)) is not None


def duplicate() -> FhirError:
    return FhirError.one(409, "duplicate", "The message has been identified as having already been processed "
                                           "(same X-Request-ID and X-Correlation-ID); nothing new was created.")


def receive(*, raw, bundle, checked: adapter.Read, actor, client, source, request_id, correlation_id,
            mapping, dos_service_ids, accept_version):
    """Apply an update or a cancellation; the answer an informational OperationOutcome naming
    the referral and the version now held."""
    focus = checked.focus
    cancel = focus.status in push.CANCELLED
    data, check_failed, details = None, False, None
    if not cancel:
        translation = adapter.translate(bundle, source=source, dos_service_ids=dos_service_ids, mapping=mapping,
                                        accept_version=accept_version, checked=checked)
        translation.body["source_reference"] = request_id  # validated as every message is; never stored again
        data, check_failed = validation.load(translation)
        details = translation.details
    message = message_row(raw=raw, client_id=client.id, request_id=request_id, correlation_id=correlation_id,
                          bundle=bundle, checked=checked)
    try:
        change = service_requests.receive_change(message, actor=actor, client_id=client.id, cancel=cancel, data=data,
                                                 nhs_number_check_failed=check_failed, details=details)
    except UnknownServiceRequest:
        raise FhirError.one(422, "not-found", f"SPOA holds no ServiceRequest {focus.service_request_id!r} from this "
                                              "sending system: send it as a new message (reason new) first.",
                            f"{focus.sr_path}.id") from None
    except NoVersionTime:
        raise FhirError.one(400, "invariant", "An update must say when it was made (ServiceRequest.meta.lastUpdated, "
                                              "or the Bundle's): only a newer version is applied.",
                            f"{focus.sr_path}.meta.lastUpdated") from None
    except Stale as stale:
        held = push.instant(stale.held.last_updated) if stale.held.last_updated else "unknown"
        raise FhirError.one(409, "conflict", f"SPOA holds version {stale.held.version} of this ServiceRequest, "
                                             f"last updated {held}; this message is not newer, so nothing was "
                                             "changed (it is kept as received).",
                            f"{focus.sr_path}.meta.lastUpdated") from None
    except LifecycleError as refused:
        raise FhirError.one(409, "conflict", f"Nothing was changed: {refused.message} The referral's state is "
                                             "shown by GET ServiceRequest.") from None
    except IntegrityError:
        db.session.rollback()
        if already_received(request_id, correlation_id):
            raise duplicate() from None
        raise FhirError.one(409, "conflict", "Another change to this ServiceRequest arrived at the same moment: "
                                             "nothing was changed; send this one again.") from None
    referral = change.referral
    if change.cancelled:
        text = f"{referral.reference} cancelled (version {change.version}); its clocks are stopped."
    else:
        text = (f"{referral.reference} updated (version {change.version}): "
                f"{', '.join(change.changed) if change.changed else 'nothing SPOA shows changed'}.")
    body = outcome_body(200, [("informational", text, None)], severity="information")
    body["issue"][0]["details"] = {"text": text, "coding": [
        {"system": push.REFERENCE_SYSTEM, "code": referral.reference, "display": f"version {change.version}"}]}
    return render(body, 200, echoed())
