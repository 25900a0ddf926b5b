"""A clock: one target of one referral (triage, first contact, episode end...)."""
from sqlalchemy import JSON

from spoa.extensions import db
from spoa.platform.column_types import UTCDateTime
from spoa.platform.timekeeping import now

RUNNING_STATUSES = ("running", "warned", "breached")
# A clock leaves those statuses only by being met or cancelled, and met_at or
# cancelled_at is set with the status (services/deadlines.py), so this is the same
# set written as ix_clocks_unstopped's predicate: a query that adds it can read
# that index, which holds the open clocks only, not every clock ever kept.
UNSTOPPED = "met_at IS NULL AND cancelled_at IS NULL"


class Clock(db.Model):
    __tablename__ = "clocks"
    __table_args__ = (
        db.Index("ix_clocks_next_due_at", "next_due_at",
                 sqlite_where=db.text("next_due_at IS NOT NULL"),
                 postgresql_where=db.text("next_due_at IS NOT NULL")),
        # Clocks neither met nor cancelled (a few thousand of millions): what is
        # overdue now, for the coordination centre's feed (migration 0016).
        db.Index("ix_clocks_unstopped", "referral_id", "deadline",
                 sqlite_where=db.text(UNSTOPPED), postgresql_where=db.text(UNSTOPPED)),
    )

    id = db.Column(db.Integer, primary_key=True)
    referral_id = db.Column(db.Uuid, db.ForeignKey("referrals.id"), nullable=False, index=True)
    name = db.Column(db.String(32), nullable=False)
    # The route it was started for: a 2-hour clock breached and then re-routed is
    # still a crisis response breach (reports count by this, not the referral's
    # route now). None only on clocks made before migration 0017 had no route.
    route = db.Column(db.String(32), nullable=True)
    # Its referral's receipt, copied: a report's period selects and groups clocks
    # without joining every one to its referral (a year is millions of clocks).
    received_at = db.Column(UTCDateTime, nullable=True, index=True)
    counts = db.Column(db.String(16), nullable=False)  # 24/7 | working_hours
    met_by = db.Column(JSON, nullable=False, default=list)  # lifecycle events that meet it
    started_at = db.Column(UTCDateTime, nullable=False)
    deadline = db.Column(UTCDateTime, nullable=False)
    status = db.Column(db.String(16), nullable=False, default="running")
    warned_at = db.Column(UTCDateTime, nullable=True)
    breached_at = db.Column(UTCDateTime, nullable=True)
    met_at = db.Column(UTCDateTime, nullable=True)
    cancelled_at = db.Column(UTCDateTime, nullable=True)
    escalation_level = db.Column(db.Integer, nullable=False, default=0)
    # The next warning, breach or escalation instant still to be recorded; None
    # once the clock stops (or its escalation is acknowledged). Indexed, so a
    # reconciler pass costs what is due, not what is open.
    next_due_at = db.Column(UTCDateTime, nullable=True)
    acknowledged_at = db.Column(UTCDateTime, nullable=True)
    created_at = db.Column(UTCDateTime, nullable=False, default=now)

    referral = db.relationship("Referral", back_populates="clocks")
    effects = db.relationship("ClockEffect", back_populates="clock", order_by="ClockEffect.id")

    @property
    def is_running(self) -> bool:
        return self.status in RUNNING_STATUSES

    @property
    def awaits_acknowledgement(self) -> bool:
        """Breached, and no person has taken the escalation yet: its chain goes on
        climbing until someone acknowledges it (notifications/chasing.py)."""
        return self.status == "breached" and self.acknowledged_at is None


def running():
    """SQL condition: the clock is still running (RUNNING_STATUSES), in the form
    ix_clocks_unstopped can answer (see UNSTOPPED)."""
    return db.and_(Clock.status.in_(RUNNING_STATUSES), Clock.met_at.is_(None), Clock.cancelled_at.is_(None))
