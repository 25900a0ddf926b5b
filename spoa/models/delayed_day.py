"""A delayed day: one UK day a patient stayed in hospital past the discharge ready
date, with the reason a person recorded (rules/policy/discharge.yaml lists them)."""
from spoa.extensions import db
from spoa.platform.column_types import UTCDateTime
from spoa.platform.timekeeping import now


class DelayedDay(db.Model):
    __tablename__ = "delayed_days"
    __table_args__ = (
        # Once a day at most, however many wards, hubs and workers write at once.
        db.UniqueConstraint("referral_id", "day"),
    )

    id = db.Column(db.Integer, primary_key=True)
    referral_id = db.Column(db.Uuid, db.ForeignKey("referrals.id"), nullable=False)
    day = db.Column(db.Date, nullable=False, index=True)  # the UK calendar day
    reason = db.Column(db.String(40), nullable=True)  # None: nobody has said why yet
    recorded_by = db.Column(db.String(120), nullable=True)
    recorded_at = db.Column(UTCDateTime, nullable=True)
    alerted_at = db.Column(UTCDateTime, nullable=True)  # the supervisor told no reason was recorded
    created_at = db.Column(UTCDateTime, nullable=False, default=now)

    referral = db.relationship("Referral", back_populates="delayed_days")
