"""The append-only history: every state change, who did it, when and why."""
from sqlalchemy import JSON

from spoa.extensions import db
from spoa.platform.column_types import UTCDateTime
from spoa.platform.timekeeping import now


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (
        db.Index("ix_audit_events_event_at", "event", "at"),  # reports: declines, reviews, overrides
        # What a person acted on (access.readable: a clinician's referrals), by index at
        # any size; only users' rows, so intake's (API clients', the system's) cost nothing (0020).
        db.Index("ix_audit_events_user_actor_id", "actor_id",
                 sqlite_where=db.text("actor_kind = 'user'"), postgresql_where=db.text("actor_kind = 'user'")),
    )

    id = db.Column(db.Integer, primary_key=True)
    referral_id = db.Column(db.Uuid, db.ForeignKey("referrals.id"), nullable=True, index=True)
    at = db.Column(UTCDateTime, nullable=False, default=now)
    actor_kind = db.Column(db.String(16), nullable=False)  # system | user | api_client
    actor_id = db.Column(db.Integer, nullable=True)
    actor_name = db.Column(db.String(120), nullable=False)
    event = db.Column(db.String(40), nullable=False)
    from_state = db.Column(db.String(20), nullable=True)
    to_state = db.Column(db.String(20), nullable=True)
    reason = db.Column(db.Text, nullable=True)
    detail = db.Column(JSON, nullable=True)

    referral = db.relationship("Referral", back_populates="history")
    # What the referral's sender was sent about this event (notifications/outcomes.py), if anything.
    outcome_notifications = db.relationship("Notification", back_populates="audit_event", order_by="Notification.id",
                                            cascade="all, delete-orphan")



class AccessEvent(db.Model):
    """Who looked at a referral, or tried to, and when (special-category data: every view is kept).
    Apart from the state-change history, so the timeline stays readable."""

    __tablename__ = "access_events"
    # The duplicate grant (spoa/domain/access.py) looks up one person's recent showings.
    __table_args__ = (db.Index("ix_access_events_user_id_at", "user_id", "at"),)

    id = db.Column(db.Integer, primary_key=True)
    referral_id = db.Column(db.Uuid, db.ForeignKey("referrals.id"), nullable=False, index=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=True)
    actor_name = db.Column(db.String(120), nullable=False)
    at = db.Column(UTCDateTime, nullable=False, default=now)
    # page | action | queue | api | duplicate_shown (a match the duplicate check showed) |
    # duplicate (a match opened from the duplicate panel: spoa/domain/access.py)
    via = db.Column(db.String(16), nullable=False)
    # A read the access policy refused (answered 404): kept, so probing is seen.
    refused = db.Column(db.Boolean, nullable=False, default=False, server_default=db.false())
