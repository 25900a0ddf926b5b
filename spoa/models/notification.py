"""What chasing a clock produced: effects (exactly once each) and the
notifications they send, with every delivery attempt."""
from sqlalchemy import JSON

from spoa.extensions import db
from spoa.platform.column_types import UTCDateTime
from spoa.platform.timekeeping import now


class ClockEffect(db.Model):
    """A warning, breach or escalation of one clock. The unique constraint makes
    each happen once, however many workers or retries reach it."""

    __tablename__ = "clock_effects"
    __table_args__ = (db.UniqueConstraint("clock_id", "kind", "level"),)

    id = db.Column(db.Integer, primary_key=True)
    clock_id = db.Column(db.Integer, db.ForeignKey("clocks.id"), nullable=False)
    referral_id = db.Column(db.Uuid, db.ForeignKey("referrals.id"), nullable=False, index=True)
    kind = db.Column(db.String(16), nullable=False)  # warning | breach | escalation
    level = db.Column(db.Integer, nullable=False)    # warning: percent; breach 1; escalation 2, 3, ...
    due_at = db.Column(UTCDateTime, nullable=False)  # the threshold's own instant
    recorded_at = db.Column(UTCDateTime, nullable=False, default=now)

    clock = db.relationship("Clock", back_populates="effects")
    notifications = db.relationship("Notification", back_populates="effect", order_by="Notification.id")


# Exactly one of: a clock's effect, an alert, an outcome (portable SQL: no boolean arithmetic).
ONE_ORIGIN = ("(CASE WHEN effect_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN alert IS NULL THEN 0 ELSE 1 END)"
              " + (CASE WHEN audit_event_id IS NULL THEN 0 ELSE 1 END) = 1")


class Notification(db.Model):
    """One message to one recipient on one channel (the outbox row): from a
    clock's effect, an alert no clock produced (``alert``: the flag that
    raised it, e.g. waiting-for-bed), or an outcome the referral's sender is
    told (``audit_event_id``: the lifecycle event it reports, notifications/outcomes.py).
    Each goes through the same channels and delivery, and has no effect on any clock."""

    __tablename__ = "notifications"
    __table_args__ = (
        db.UniqueConstraint("effect_id", "recipient", "channel"),
        # One outcome is sent once on each channel, however many times it is recorded.
        db.UniqueConstraint("audit_event_id", "channel"),
        db.Index("ix_notifications_pending", "status", "next_attempt_at"),
        db.Index("ix_notifications_user_id_taken_at", "user_id", "taken_at"),
        db.Index("ix_notifications_recipient_taken_at", "recipient", "taken_at"),
        db.CheckConstraint(ONE_ORIGIN, name="one_origin"),
    )

    id = db.Column(db.Integer, primary_key=True)
    effect_id = db.Column(db.Integer, db.ForeignKey("clock_effects.id"), nullable=True)
    alert = db.Column(db.String(40), nullable=True)  # a flags.yaml id; None for a clock's notification
    audit_event_id = db.Column(db.Integer, db.ForeignKey("audit_events.id"), nullable=True)
    referral_id = db.Column(db.Uuid, db.ForeignKey("referrals.id"), nullable=False, index=True)
    recipient = db.Column(db.String(64), nullable=False)  # e.g. service_duty_lead:crisis_response
    channel = db.Column(db.String(16), nullable=False)    # in_app | email | webhook | sender_webhook
    target = db.Column(db.String(500), nullable=True)     # address or URL (none for in_app)
    subject = db.Column(db.String(200), nullable=False)   # no patient identifiers: reference and clock only
    # pending | sending (claimed until next_attempt_at) | delivered | failed | cancelled (an
    # outcome whose sender may no longer be told when it was due: last_error says why)
    status = db.Column(db.String(16), nullable=False, default="pending")
    attempts = db.Column(db.Integer, nullable=False, default=0)
    next_attempt_at = db.Column(UTCDateTime, nullable=True)
    last_error = db.Column(db.String(500), nullable=True)
    # An outcome's body, fixed when it happened (state and route then, not at sending).
    payload = db.Column(JSON, nullable=True)
    created_at = db.Column(UTCDateTime, nullable=False, default=now)
    delivered_at = db.Column(UTCDateTime, nullable=True)
    # The person on duty it went to at that instant (the rota, services/rota.py);
    # None for a role-level channel's copy, an outcome, or nobody on duty at all.
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=True)
    # The duties passed over because nobody held them then, in chain order
    # (e.g. ["service_duty_lead:crisis_response"]): it went on up the chain at once.
    nobody_on_duty = db.Column(JSON, nullable=True)
    # "I have it": who took it, when (the inbox, /notifications).
    taken_at = db.Column(UTCDateTime, nullable=True)
    taken_by_user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=True)

    effect = db.relationship("ClockEffect", back_populates="notifications")
    # Read-only (the referral's alerts and its clocks' effects are how rows are added): the inbox's link.
    referral = db.relationship("Referral", viewonly=True)
    user = db.relationship("User", foreign_keys=[user_id])
    taken_by = db.relationship("User", foreign_keys=[taken_by_user_id])
    audit_event = db.relationship("AuditEvent", back_populates="outcome_notifications")
    delivery_attempts = db.relationship("DeliveryAttempt", order_by="DeliveryAttempt.id")


class DeliveryAttempt(db.Model):
    __tablename__ = "delivery_attempts"

    id = db.Column(db.Integer, primary_key=True)
    notification_id = db.Column(db.Integer, db.ForeignKey("notifications.id"), nullable=False, index=True)
    at = db.Column(UTCDateTime, nullable=False, default=now)
    ok = db.Column(db.Boolean, nullable=False)
    error = db.Column(db.String(500), nullable=True)


class NotificationChannel(db.Model):
    """Where a recipient's notifications go besides the app (configured per recipient)."""

    __tablename__ = "notification_channels"
    __table_args__ = (db.UniqueConstraint("recipient", "channel", "target"),)

    id = db.Column(db.Integer, primary_key=True)
    recipient = db.Column(db.String(64), nullable=False)  # a role, or role:service; user:<id> for a person's own
    # A person's own channel (their email, an SMS gateway webhook): used whenever
    # a notification goes to them on duty. None: the recipient role's channel.
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=True)
    channel = db.Column(db.String(16), nullable=False)    # email | webhook
    target = db.Column(db.String(500), nullable=False)
    is_active = db.Column(db.Boolean, nullable=False, default=True)
