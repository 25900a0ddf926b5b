"""Why a referral has its route: the rules' decision, and any person's override beside it."""
from sqlalchemy import JSON

from spoa.extensions import db
from spoa.platform.column_types import UTCDateTime
from spoa.platform.timekeeping import now


class TriageDecision(db.Model):
    __tablename__ = "triage_decisions"
    # Reports: overrides (and rules decisions) made in a period.
    __table_args__ = (db.Index("ix_triage_decisions_kind_created_at", "kind", "created_at"),)

    id = db.Column(db.Integer, primary_key=True)
    referral_id = db.Column(db.Uuid, db.ForeignKey("referrals.id"), nullable=False, index=True)
    kind = db.Column(db.String(16), nullable=False)  # rules | supervisor | override
    rule_id = db.Column(db.String(64), nullable=True)  # None for a person's decision
    route = db.Column(db.String(32), nullable=False)
    urgency = db.Column(db.String(16), nullable=False)
    rules_version = db.Column(db.String(32), nullable=False)
    facts = db.Column(JSON, nullable=False, default=dict)  # the facts the deciding rule read (shown)
    # Every fact the rules were given (rules: only; None before migration 0015):
    # what a what-if replay of a changed policy decides on (spoa/replay).
    inputs = db.Column(JSON, nullable=True)
    explanation = db.Column(db.Text, nullable=False)
    reason = db.Column(db.Text, nullable=True)
    decided_by = db.Column(db.String(120), nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=now)

    referral = db.relationship("Referral", back_populates="decisions")
