"""BaRS senders' endpoints, each belonging to one API client: registered (or
re-pointed), claimed and removed by an administrator (`flask spoa
add-fhir-endpoint --client`, remove-fhir-endpoint, list-fhir-endpoints, or the
admin page), each change audited; looked up by the source.endpoint of a
referral's original message when its outcome is told (notifications/outcomes.py).

An endpoint is its client's alone: a message from another client naming it is
refused at intake (fhir/routes.py), and an outcome goes to it only for a
referral its own client posted. A row registered before endpoints had owners
(api_client_id NULL) is never delivered to until an administrator claims it
for a client; registering it again with --client does that.
"""
from sqlalchemy import select

from spoa.extensions import db
from spoa.models import ApiClient, FhirEndpoint, FhirMessage, User
from spoa.models.fhir_endpoint import endpoint_key
from spoa.schemas.form_input import one_error
from spoa.services.admin_change import record, saving

PROCESS_MESSAGE = "/$process-message"


def _client_named(name: str) -> ApiClient:
    client = db.session.scalar(select(ApiClient).where(ApiClient.name == name))
    if client is None:
        raise one_error("client", f"There is no API client called {name}")
    if not client.is_active:
        raise one_error("client", f"The API client {name} is revoked: register the endpoint for its replacement")
    return client


def registered(endpoint: str) -> FhirEndpoint | None:
    """The registration of an identifier, however it is spelt (None if it is none, or not system|value)."""
    key = endpoint_key(endpoint)
    return db.session.scalar(select(FhirEndpoint).where(FhirEndpoint.endpoint == key)) if key else None


def register_fhir_endpoint(*, client: str, endpoint: str, base_url: str,
                           by: User | None) -> tuple[FhirEndpoint, str | None]:
    """The endpoint registered for the API client named ``client`` at ``base_url``
    (active), and the URL it had before (None if new). Registering an identifier
    again re-points it (a sender that moved is one command); registering an unowned
    one claims it. One that is another client's is refused: removing it first is a
    decision of its own, audited."""
    owner = _client_named(client)
    key = endpoint_key(endpoint)
    base_url = base_url.rstrip("/")
    row = registered(key)
    if row is not None and row.api_client_id not in (None, owner.id):
        raise one_error("endpoint", f"{key} is registered to the API client {row.client.name}: "
                                    "remove it first if it now belongs to another")
    before = row.base_url if row is not None else None
    claimed = row is not None and row.api_client_id is None
    with saving("endpoint", f"The endpoint {key} was registered by someone else at the same moment: try again"):
        if row is None:
            row = FhirEndpoint(endpoint=key, base_url=base_url, is_active=True, api_client_id=owner.id)
            db.session.add(row)
        else:
            row.base_url, row.is_active, row.api_client_id = base_url, True, owner.id
        db.session.flush()
        record(by, "fhir_endpoint_claimed" if claimed else "fhir_endpoint_registered", endpoint_id=row.id,
               endpoint=key, client_id=owner.id, client=owner.name, url=base_url, previous_url=before)
    return row, before


def claim_fhir_endpoint(row: FhirEndpoint, *, client: str, by: User | None) -> FhirEndpoint:
    """An unowned endpoint given to its client, at the URL it has."""
    if row.api_client_id is not None:
        raise one_error("client", f"{row.endpoint} already belongs to the API client {row.client.name}")
    claimed, _ = register_fhir_endpoint(client=client, endpoint=row.endpoint, base_url=row.base_url, by=by)
    return claimed


def remove_fhir_endpoint(row: FhirEndpoint, *, by: User | None) -> None:
    """No longer registered: outcomes still queued for it are not sent (delivery re-reads the
    registry when it claims them), and a message naming it is taken and its sender not told."""
    detail = dict(endpoint_id=row.id, endpoint=row.endpoint, url=row.base_url, client_id=row.api_client_id,
                  client=row.client.name if row.client else None)
    db.session.delete(row)
    record(by, "fhir_endpoint_removed", **detail)
    db.session.commit()


def all_endpoints() -> list[FhirEndpoint]:
    return db.session.scalars(select(FhirEndpoint).order_by(FhirEndpoint.endpoint)).all()


def named_by_another(source_endpoint: str | None, client_id: int) -> bool:
    """Whether a message's source.endpoint is registered to an API client other than its poster's.
    An unowned endpoint is no other client's: its message is taken, and its sender not told."""
    row = registered(source_endpoint) if source_endpoint else None
    return row is not None and row.api_client_id is not None and row.api_client_id != client_id


def original_message(referral) -> FhirMessage | None:
    """The BaRS message the referral came in as (its first, should updates follow)."""
    return db.session.scalars(select(FhirMessage).where(FhirMessage.referral_id == referral.id)
                              .order_by(FhirMessage.received_at, FhirMessage.id).limit(1)).first()


def endpoint_for(referral) -> FhirEndpoint | None:
    """The registered, active endpoint of the sender of a FHIR referral, if it is that
    sender's own (its API client's, and the client not revoked), or None."""
    if referral.channel != "fhir":
        return None
    # Only the sender's endpoint: not the message's body (this runs on every lifecycle event).
    found = db.session.execute(select(FhirMessage.source_endpoint, FhirMessage.api_client_id)
                               .where(FhirMessage.referral_id == referral.id)
                               .order_by(FhirMessage.received_at, FhirMessage.id).limit(1)).first()
    key = endpoint_key(found.source_endpoint) if found and found.source_endpoint else None
    if key is None or found.api_client_id is None:
        return None
    return db.session.scalar(select(FhirEndpoint).join(ApiClient, ApiClient.id == FhirEndpoint.api_client_id).where(
        FhirEndpoint.endpoint == key, FhirEndpoint.is_active,
        FhirEndpoint.api_client_id == found.api_client_id, ApiClient.is_active))
