"""A sender's later messages about a ServiceRequest it sent (BaRS reason ``update``):
applied only when newer than the version SPOA holds, every version kept (each message
is a row of fhir_messages; those applied carry their version number), a cancellation
(status revoked or entered-in-error) through the lifecycle as the referrer's withdrawal.

The same for a referral and for a 999 call pushed to SPOA. An update changes what the
referral says (the patient, the problem, the call's breach time and details), with an
audit row naming what changed; it does not re-route: a person sees the change.
"""
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from spoa.domain.actor import Actor
from spoa.domain.lifecycle import CLOSED_STATES, LifecycleError
from spoa.extensions import db
from spoa.models import FhirMessage, Referral
from spoa.services import deadlines
from spoa.services.actions import SAME_MOMENT, apply_event
from spoa.services.events import record_event

# What an update may change: the intake contract's fields a sender describes (the
# patient, the problem) and the message's own details (push.details). Who sent it,
# its kind and its route are not among them.
UPDATABLE = (*(f for f in Referral.PATIENT_FIELDS), "emas_category", "presenting_need", "description",
             "pathways_disposition", "red_flags", "observations", "mental_health", "function", "consent")
DETAIL_WORDS = {"breach_at": "breach time", "sender_case_number": "case number", "scene_safety": "scene safety",
                "contacts": "contacts", "location": "location", "safeguarding": "safeguarding flags",
                "nhs_number_verification": "NHS number verification", "nhs_number_check_failed": "NHS number check"}


class UnknownServiceRequest(Exception):
    """No ServiceRequest with this id from this sending system."""


class NoVersionTime(Exception):
    """An update that does not say when it was made (meta.lastUpdated): newer cannot be told."""


class Stale(Exception):
    """Not newer than the version held: kept as received, nothing changed."""

    def __init__(self, held: FhirMessage):
        super().__init__(f"version {held.version} is held")
        self.held = held


@dataclass
class Change:
    referral: Referral
    version: int
    cancelled: bool
    changed: list  # the names of what changed (an update), in words


def versions(client_id: int, service_request_id: str) -> list[FhirMessage]:
    """Every version SPOA holds of a sender's ServiceRequest, oldest first: the sender's own only."""
    if not service_request_id:
        return []
    return list(db.session.scalars(select(FhirMessage).where(
        FhirMessage.api_client_id == client_id, FhirMessage.service_request_id == service_request_id,
        FhirMessage.version.is_not(None)).order_by(FhirMessage.version)))


def latest(client_id: int, service_request_id: str) -> FhirMessage | None:
    found = versions(client_id, service_request_id)
    return found[-1] if found else None


def receive_change(message: FhirMessage, *, actor: Actor, client_id: int, cancel: bool, data: dict | None = None,
                   nhs_number_check_failed: bool = False, details: dict | None = None) -> Change:
    """Apply one update (or cancellation) and commit it with its message row. ``message``
    carries its service_request_id and last_updated. Raises UnknownServiceRequest,
    NoVersionTime, Stale (the message is kept, nothing else), LifecycleError (the referral
    is closed; nothing kept), or IntegrityError (the same headers again, or another update
    becoming the same version at the same moment: nothing kept)."""
    held = latest(client_id, message.service_request_id)
    if held is None:
        raise UnknownServiceRequest(message.service_request_id)
    if message.last_updated is None:
        raise NoVersionTime()
    referral = db.session.get(Referral, held.referral_id)
    message.referral = referral
    if held.last_updated is not None and message.last_updated <= held.last_updated:
        message.version = None
        db.session.add(message)
        db.session.commit()
        raise Stale(held)
    message.version = held.version + 1
    db.session.add(message)
    if cancel:
        # The referrer's own decision, as the JSON API's withdraw: the clocks stop, every
        # state change through the lifecycle with its audit row (apply_event commits).
        apply_event(referral, "withdraw", actor,
                    reason=f"Cancelled by the sending system: its ServiceRequest is {message.service_request_status} "
                           f"(version {message.version}).")
        if message not in db.session:
            # apply_event retried after losing a race (a new transaction, without this row): keep it now.
            db.session.add(message)
            db.session.commit()
        return Change(referral, message.version, True, [])
    changed = _apply(referral, data or {}, nhs_number_check_failed, details or {})
    words = ", ".join(changed) if changed else "nothing SPOA shows"
    try:
        if DETAIL_WORDS["breach_at"] in changed and referral.state not in CLOSED_STATES:
            # A pushed call's clock due at its breach time moves with it.
            deadlines.align_clocks_to_route(referral)
        record_event(referral, "add_information", actor,
                     reason=f"Updated by the sending system (version {message.version}): {words}.",
                     detail={"version": message.version, "changed": changed})
        db.session.commit()
    except LifecycleError:
        db.session.rollback()
        raise
    except StaleDataError:
        db.session.rollback()
        raise LifecycleError(SAME_MOMENT, 409) from None
    return Change(referral, message.version, False, changed)


def _apply(referral: Referral, data: dict, check_failed: bool, details: dict) -> list[str]:
    """Set what the update says; return the names of what changed (no values: an audit
    row names the fields, the page shows the values)."""
    changed = []
    patient = data.get("patient") or {}
    for name in UPDATABLE:
        if name in Referral.PATIENT_FIELDS:
            value = patient.get(name)
        else:
            value = data.get(name)
        if name == "red_flags":
            value = value or []
        if getattr(referral, name) != value:
            setattr(referral, name, value)
            changed.append(name.replace("_", " "))
    for name, value in {**details, "nhs_number_check_failed": check_failed}.items():
        if getattr(referral, name) != value:
            setattr(referral, name, value)
            changed.append(DETAIL_WORDS.get(name, name.replace("_", " ")))
    return changed
