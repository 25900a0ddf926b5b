"""BaRS senders' endpoints: registered (or re-pointed) by an administrator with
`flask spoa add-fhir-endpoint`, each change audited; looked up by the
source.endpoint of a referral's original message when its outcome is told
(services/outcomes.py)."""
from sqlalchemy import select

from ..extensions import db
from ..models import FhirEndpoint, FhirMessage, User
from ..models.fhir_endpoint import endpoint_key
from .admin_change import record, saving

PROCESS_MESSAGE = "/$process-message"


def register_fhir_endpoint(*, endpoint: str, base_url: str, by: User | None) -> tuple[FhirEndpoint, str | None]:
    """The endpoint registered at ``base_url`` (active), and the URL it had before (None if new).
    Registering an identifier again re-points it: a sender that moved is one command."""
    key = endpoint_key(endpoint)
    base_url = base_url.rstrip("/")
    row = db.session.scalar(select(FhirEndpoint).where(FhirEndpoint.endpoint == key))
    before = row.base_url if row is not None else None
    with saving("endpoint", f"The endpoint {key} was registered by someone else at the same moment: try again"):
        if row is None:
            row = FhirEndpoint(endpoint=key, base_url=base_url, is_active=True)
            db.session.add(row)
        else:
            row.base_url, row.is_active = base_url, True
        db.session.flush()
        record(by, "fhir_endpoint_registered", endpoint_id=row.id, endpoint=key, url=base_url, previous_url=before)
    return row, before


def original_message(referral) -> FhirMessage | None:
    """The BaRS message the referral came in as (its first, should updates follow)."""
    return db.session.scalars(select(FhirMessage).where(FhirMessage.referral_id == referral.id)
                              .order_by(FhirMessage.received_at, FhirMessage.id).limit(1)).first()


def endpoint_for(referral) -> FhirEndpoint | None:
    """The registered, active endpoint of the sender of a FHIR referral, or None."""
    if referral.channel != "fhir":
        return None
    # Only the sender's endpoint: not the message's body (this runs on every lifecycle event).
    source = db.session.scalar(select(FhirMessage.source_endpoint).where(FhirMessage.referral_id == referral.id)
                               .order_by(FhirMessage.received_at, FhirMessage.id).limit(1))
    key = endpoint_key(source) if source else None
    if key is None:
        return None
    return db.session.scalar(select(FhirEndpoint).where(FhirEndpoint.endpoint == key, FhirEndpoint.is_active))
