"""Every message exchanged with a referral's sending system, oldest first: the FHIR
messages it sent (each kept as received: the request, its updates and cancellations)
and what SPOA sent back through the outbox (its outcomes: BaRS messages or the API
client's callback). What the referral page's messages section lists.

A message's content is not shown here (it is the patient's record, on the page
already); what it was, which version it made, and whether SPOA's answer arrived.
"""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from spoa.extensions import db
from spoa.models import ApiClient, FhirMessage, Notification
from spoa.platform.timekeeping import to_uk

CANCELLING = {"revoked": "revoked", "entered-in-error": "entered in error"}
CHANNEL_WORDS = {"bars": "BaRS message", "sender_webhook": "callback"}


@dataclass(frozen=True)
class Exchanged:
    at: datetime
    sent: bool     # by SPOA (else received from the sender)
    what: str      # "Request (new)", "Update", "Cancellation (revoked)", "BaRS message: accepted"
    standing: str  # "version 2", "older than the version held: changed nothing", "delivered 14:05"...
    request_id: str | None  # the message's X-Request-ID, as support asks for it


def _received(row: FhirMessage) -> Exchanged:
    if row.service_request_status in CANCELLING:
        what = f"Cancellation ({CANCELLING[row.service_request_status]})"
    elif row.reason == "update":
        what = "Update"
    else:
        what = f"Request ({row.reason or 'new'})"
    standing = (f"version {row.version}" if row.version is not None
                else "older than the version held: changed nothing")
    return Exchanged(at=row.received_at, sent=False, what=what, standing=standing, request_id=row.request_id)


def _delivery(n: Notification) -> str:
    if n.status == "delivered":
        return f"delivered {to_uk(n.delivered_at):%H:%M}"
    if n.status == "failed":
        return f"not delivered: sending failed after {n.attempts} attempts"
    if n.status == "cancelled":
        return f"not sent: {n.last_error}"
    return "sending failed, retrying" if n.attempts else "queued"


def _sent(n: Notification) -> Exchanged:
    reads = (n.payload or {}).get("data", {}).get("outcome") or n.subject
    channel = CHANNEL_WORDS.get(n.channel, n.channel.replace("_", " "))
    request_id = (n.payload or {}).get("bars", {}).get("request_id")
    return Exchanged(at=n.created_at, sent=True, what=f"{channel}: {reads}", standing=_delivery(n),
                     request_id=request_id)


def with_sender(referral) -> tuple[str | None, list[Exchanged]]:
    """The sending system's name (None: a person's form), and every message, oldest first."""
    client = db.session.get(ApiClient, referral.api_client_id) if referral.api_client_id else None
    received = db.session.scalars(select(FhirMessage).where(FhirMessage.referral_id == referral.id))
    sent = db.session.scalars(select(Notification).where(Notification.referral_id == referral.id,
                                                         Notification.audit_event_id.isnot(None)))
    found = [_received(m) for m in received] + [_sent(n) for n in sent]
    return (client.name if client else None), sorted(found, key=lambda e: (e.at, e.sent))
