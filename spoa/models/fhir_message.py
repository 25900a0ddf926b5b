"""A FHIR (BaRS) message as received: kept for audit and replay, and what a
reply to its sender needs (its endpoint, bundle id and correlation id)."""
import uuid

from spoa.extensions import db
from spoa.platform.column_types import UTCDateTime
from spoa.platform.timekeeping import now


class FhirMessage(db.Model):
    __tablename__ = "fhir_messages"
    __table_args__ = (
        # BaRS de-duplicates on the two headers (Bundle.id is reused across messages):
        # a retry, however concurrent, cannot insert a second row, so creates nothing.
        db.UniqueConstraint("request_id", "correlation_id"),
        # One row a version of a referral's ServiceRequest: two updates racing cannot both
        # become the next version (the loser is a conflict, never a lost version).
        db.Index("uq_fhir_messages_referral_id_version", "referral_id", "version", unique=True),
        # A sender reads and updates its ServiceRequest by its own id.
        db.Index("ix_fhir_messages_api_client_id_service_request_id", "api_client_id", "service_request_id"),
    )

    id = db.Column(db.Uuid, primary_key=True, default=uuid.uuid4)
    referral_id = db.Column(db.Uuid, db.ForeignKey("referrals.id"), nullable=False, index=True)
    api_client_id = db.Column(db.Integer, db.ForeignKey("api_clients.id"), nullable=True)
    request_id = db.Column(db.String(36), nullable=False)      # X-Request-ID (a GUID, lower case)
    correlation_id = db.Column(db.String(36), nullable=False)  # X-Correlation-ID
    bundle_id = db.Column(db.String(64), nullable=True)
    source_endpoint = db.Column(db.String(255), nullable=True)  # MessageHeader.source.endpoint
    event = db.Column(db.String(64), nullable=False)            # servicerequest-request
    reason = db.Column(db.String(32), nullable=True)            # new | update
    bars_version = db.Column(db.String(32), nullable=True)      # Bundle.meta.versionId (or Accept's)
    authored_on = db.Column(db.String(40), nullable=True)       # ServiceRequest.authoredOn, as sent
    content_type = db.Column(db.String(100), nullable=False)
    body = db.Column(db.LargeBinary, nullable=False)            # the bytes as received
    received_at = db.Column(UTCDateTime, nullable=False, default=now)
    # The sender's ServiceRequest (its id, or its fullUrl's uuid when it has none) as this
    # message left it: the status and meta.lastUpdated it carried, and its version at SPOA
    # (1 the first; None for a message that changed nothing: an older update).
    service_request_id = db.Column(db.String(64), nullable=True)
    service_request_status = db.Column(db.String(20), nullable=True)
    last_updated = db.Column(UTCDateTime, nullable=True)
    version = db.Column(db.Integer, nullable=True)

    referral = db.relationship("Referral")
