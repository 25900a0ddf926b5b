"""The referrer is told the outcome: the outbox rows that carry each outcome
(spoa/domain/sender_outcomes.py says which lifecycle events are outcomes and how they read).

record_event (services/events.py) calls ``on_event`` for every state change, in
the same transaction: an outcome and the event it reports commit together or
not at all. Sending is the outbox's job (notifications/delivery.py: retries with
backoff, each attempt recorded, never inside a transaction), so a dead callback
never slows intake or chasing. The unique (audit_event_id, channel) constraint
makes one outcome one message a channel.

Channels, each a function from the referral to its target (or None when it has
nowhere to go): ``bars`` (a FHIR referral's sender, at the $process-message
registered for its source.endpoint: notifications/fhir_endpoints.py, a
servicerequest-response built by notifications/bars_response.py) and
``sender_webhook`` (a JSON API client's callback URL, Standard Webhooks). A
sender is told once: on the first channel in CHANNELS it has, so a FHIR sender
whose API client also has a callback hears through BaRS, and through the
callback only while no BaRS endpoint is registered for it.

What is queued is sent only while it is still true when delivery claims it
(``still_to_tell``): a sender whose API client was revoked since, or whose
endpoint was removed or given to another client, is told nothing more, and
one re-pointed is told at its new address.
"""
import uuid
from collections.abc import Callable

from sqlalchemy import event as sa_event
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from spoa.domain.policy import current_policy
from spoa.domain.sender_outcomes import outcome_of
from spoa.extensions import db
from spoa.models import ApiClient, Notification, Referral
from spoa.notifications.fhir_endpoints import PROCESS_MESSAGE, endpoint_for
from spoa.platform.timekeeping import now


def _webhook_target(referral) -> tuple[str, str] | None:
    """A JSON API sender's callback: (recipient, url), or None (no callback registered)."""
    if referral.api_client_id is None:
        return None
    client = db.session.get(ApiClient, referral.api_client_id)
    if client is None or not client.is_active or not client.callback_url:
        return None
    return f"api_client:{client.id}", client.callback_url


def _bars_target(referral) -> tuple[str, str] | None:
    """A BaRS sender's own $process-message: (recipient, url), or None (not FHIR, or no endpoint registered)."""
    endpoint = endpoint_for(referral)
    if endpoint is None:
        return None
    return f"fhir_endpoint:{endpoint.id}", endpoint.base_url + PROCESS_MESSAGE


# In order of preference: the first a referral's sender has is the one it is told on.
CHANNELS: dict[str, Callable] = {"bars": _bars_target, "sender_webhook": _webhook_target}


# Why a queued outcome was not sent after all (its last_error; the timeline shows it).
NO_LONGER = {"sender_webhook": "its callback was removed before it was sent",
             "bars": "its BaRS endpoint was removed, or given to another client, before it was sent"}


def still_to_tell(notification) -> str | None:
    """At sending (delivery's claim): None if the outcome still goes, with its target
    re-read now (a re-pointed endpoint is told at its new address); else why not:
    the sender's API client revoked, or its channel gone. The same target function
    as when it was queued, so the rule is one."""
    referral = db.session.get(Referral, notification.referral_id)
    client = db.session.get(ApiClient, referral.api_client_id) if referral.api_client_id else None
    if client is None or not client.is_active:
        return "its API client was revoked before it was sent"
    target = CHANNELS[notification.channel](referral)
    if target is None:
        return NO_LONGER[notification.channel]
    notification.recipient, notification.target = target
    return None


def _route_name(route: str | None) -> str:
    if route is None:
        return "nowhere"
    found = current_policy().routes.get(route)
    return found.name if found else route.replace("_", " ")


def on_event(referral, row, actor_kind: str) -> None:
    """Queue the outcome ``row`` (the event's audit row, just added) is, for each channel its sender has.
    Its body is finished as the transaction commits (_finish): the state and route the
    referral is left in, since a use case may move it on after the event (a decline
    sets the review route after recording, an override then offers)."""
    outcome = outcome_of(row.event, row.from_state, actor_kind, referral.kind)
    if outcome is None:
        return
    if row.from_state == "received":
        # At intake (a pushed call the rules give back at once): the channel's own rows (the
        # FHIR message its endpoint is read from) join the transaction after triage, so
        # whom to tell is worked out as it commits.
        db.session.info.setdefault(_AT_INTAKE, []).append((referral, row, outcome, now()))
        return
    _queue(referral, row, outcome, now())


def _queue(referral, row, outcome, at) -> None:
    for channel, target_of in CHANNELS.items():
        target = target_of(referral)
        if target is None:
            continue
        recipient, url = target
        notification = Notification(referral_id=referral.id, recipient=recipient, channel=channel, target=url,
                                    subject=referral.reference, payload=None, next_attempt_at=now())
        row.outcome_notifications.append(notification)
        db.session.info.setdefault(_UNFINISHED, []).append((notification, referral, row, outcome, at))
        break  # told once


_UNFINISHED = "spoa_unfinished_outcomes"
_AT_INTAKE = "spoa_outcomes_at_intake"


def _body(referral, event: str, reads: str, at) -> dict:
    # What leaves the building: SPOA's and the sender's references, never patient details.
    return {"type": f"referral.{event}", "data": {
        "referral_id": str(referral.id), "reference": referral.reference,
        "source_reference": referral.source_reference, "event": event, "outcome": reads,
        "state": referral.state, "route": referral.route, "at": at.isoformat()}}


@sa_event.listens_for(Session, "before_commit")
def _finish(session) -> None:
    for referral, row, outcome, at in session.info.pop(_AT_INTAKE, []):
        if not inspect(row).transient:
            _queue(referral, row, outcome, at)
    for notification, referral, row, outcome, at in session.info.pop(_UNFINISHED, []):
        if inspect(notification).transient:  # rolled back meanwhile (a savepoint): nothing to say
            continue
        reads = outcome.reads.format(route=_route_name(referral.route))
        notification.subject = f"{referral.reference}: {reads}"[:200]
        notification.payload = _body(referral, row.event, reads, at)
        if notification.channel == "bars":
            # Fixed now, so every retry sends the same message under the same
            # X-Request-ID: the receiver de-duplicates on it, as BaRS senders retry.
            notification.payload["bars"] = {
                "request_id": str(uuid.uuid4()), "bundle_id": str(uuid.uuid4()),
                "message_header_id": str(uuid.uuid4()),
                "service_request_status": outcome.service_request_status}
            if outcome.encounter_status is not None:
                notification.payload["bars"]["push"] = _push_answer(outcome, row)


def _push_answer(outcome, row) -> dict:
    """A pushed call's answer (bars_response.py builds SPOA's Encounter from it): its status,
    why it went back (the return's rejected-reasons-bars code and words; OTH and the event's
    reason for a redirect or cancel), whether an ambulance is needed."""
    detail = row.detail or {}
    answer = {"encounter_status": outcome.encounter_status, "ambulance_needed": outcome.ambulance_needed}
    if outcome.encounter_status == "cancelled":
        answer["reason_code"] = detail.get("reason_code") or "OTH"
        answer["reason"] = detail.get("reason") or row.reason or outcome.reads
    return answer


@sa_event.listens_for(Session, "after_rollback")
def _forget(session) -> None:
    session.info.pop(_UNFINISHED, None)
    session.info.pop(_AT_INTAKE, None)
