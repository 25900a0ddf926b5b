"""Where a BaRS sender is told its referrals' outcomes: its own $process-message,
registered against the ``MessageHeader.source.endpoint`` identifier it sends
(endpoint_key normalises that identifier: the lookup and the registration agree),
for the one API client it belongs to: only that client may name it, and only
outcomes of that client's referrals go there."""
import re

from spoa.extensions import db
from spoa.platform.column_types import UTCDateTime
from spoa.platform.timekeeping import now


class FhirEndpoint(db.Model):
    __tablename__ = "fhir_endpoints"

    id = db.Column(db.Integer, primary_key=True)
    # Normalised (endpoint_key): "https://fhir.nhs.uk/Id/dos-service-id|2222222222",
    # however the sender spells it (the standard's examples also write "http://...:2222222222").
    endpoint = db.Column(db.String(255), nullable=False, unique=True)
    base_url = db.Column(db.String(480), nullable=False)  # outcomes go to <base_url>/$process-message
    is_active = db.Column(db.Boolean, nullable=False, default=True)
    # The API client whose endpoint it is. None: registered before endpoints had owners,
    # and unusable (never delivered to) until an administrator claims it for a client.
    api_client_id = db.Column(db.Integer, db.ForeignKey("api_clients.id"), nullable=True, index=True)
    created_at = db.Column(UTCDateTime, nullable=False, default=now)

    client = db.relationship("ApiClient")


ENDPOINT_MAX = 255
# system|value, as BaRS writes a source.endpoint; the standard's own 2022 example
# writes system:value over http, so ":" separates too and http is https.
_IDENTIFIER = re.compile(r"^(?:https?)://([^\s|]+?)[|:]([A-Za-z0-9._-]{1,64})$", re.IGNORECASE)


def endpoint_key(identifier: str | None) -> str | None:
    """'http://fhir.nhs.uk/Id/dos-service-id:2222' and 'https://fhir.nhs.uk/Id/dos-service-id|2222'
    -> 'https://fhir.nhs.uk/Id/dos-service-id|2222'; None when it is not system|value."""
    found = _IDENTIFIER.match((identifier or "").strip())
    if found is None:
        return None
    system, value = found.group(1).rstrip("/"), found.group(2)
    host, _, path = system.partition("/")
    key = f"https://{host.lower()}{'/' if path else ''}{path}|{value}"
    return key if len(key) <= ENDPOINT_MAX and host else None
