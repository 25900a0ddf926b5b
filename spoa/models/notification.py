"""What chasing a clock produced: effects (exactly once each) and the
notifications they send, with every delivery attempt."""
from ..clocks import now
from ..extensions import db
from .types import UTCDateTime


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


class Notification(db.Model):
    """One message to one recipient on one channel (the outbox row): from a
    clock's effect, or an alert no clock produced (``alert``: the flag that
    raised it, e.g. waiting-for-bed). Either way it goes through the same
    channels and delivery, and has no effect on any clock."""

    __tablename__ = "notifications"
    __table_args__ = (
        db.UniqueConstraint("effect_id", "recipient", "channel"),
        db.Index("ix_notifications_pending", "status", "next_attempt_at"),
        db.CheckConstraint("(effect_id IS NULL) <> (alert IS NULL)", name="effect_or_alert"),
    )

    id = db.Column(db.Integer, primary_key=True)
    effect_id = db.Column(db.Integer, db.ForeignKey("clock_effects.id"), nullable=True)
    alert = db.Column(db.String(40), nullable=True)  # a flags.yaml id; None for a clock's notification
    referral_id = db.Column(db.Uuid, db.ForeignKey("referrals.id"), nullable=False, index=True)
    recipient = db.Column(db.String(64), nullable=False)  # e.g. service_duty_lead:crisis_response
    channel = db.Column(db.String(16), nullable=False)    # in_app | email | webhook
    target = db.Column(db.String(500), nullable=True)     # address or URL (none for in_app)
    subject = db.Column(db.String(200), nullable=False)   # no patient identifiers: reference and clock only
    status = db.Column(db.String(16), nullable=False, default="pending")  # pending | sending (claimed until next_attempt_at) | delivered | failed
    attempts = db.Column(db.Integer, nullable=False, default=0)
    next_attempt_at = db.Column(UTCDateTime, nullable=True)
    last_error = db.Column(db.String(500), nullable=True)
    created_at = db.Column(UTCDateTime, nullable=False, default=now)
    delivered_at = db.Column(UTCDateTime, nullable=True)

    effect = db.relationship("ClockEffect", back_populates="notifications")
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
    recipient = db.Column(db.String(64), nullable=False)  # a role, or role:service
    channel = db.Column(db.String(16), nullable=False)    # email | webhook
    target = db.Column(db.String(500), nullable=False)
    is_active = db.Column(db.Boolean, nullable=False, default=True)
