"""A service referrals are routed to (its code is the policy's route id), or a
voluntary organisation on the duty rota for the ``voluntary_sector`` route.

Capacity is what the service's team lead declares: how many (visits this shift,
beds, slots, packages, referrals today) and how many are in use. A voluntary
organisation's declaration counts only for the day it is made for; SPOA adds
each referral it offers one to its use, under a row lock.
"""
from sqlalchemy import JSON, CheckConstraint

from spoa.extensions import db
from spoa.platform.column_types import UTCDateTime

KINDS = ("clinical", "voluntary")


class Service(db.Model):
    __tablename__ = "services"
    __table_args__ = (
        CheckConstraint("capacity_in_use >= 0", name="capacity_in_use_not_negative"),
        CheckConstraint("capacity_total >= 0", name="capacity_total_not_negative"),
    )

    id = db.Column(db.Integer, primary_key=True)
    code = db.Column(db.String(32), nullable=False, unique=True)
    name = db.Column(db.String(120), nullable=False)
    is_active = db.Column(db.Boolean, nullable=False, default=True)
    kind = db.Column(db.String(16), nullable=False, default="clinical", server_default="clinical")

    capacity_unit = db.Column(db.String(40), nullable=True)
    capacity_total = db.Column(db.Integer, nullable=True)  # None: never declared
    capacity_in_use = db.Column(db.Integer, nullable=False, default=0, server_default="0")
    capacity_for = db.Column(db.Date, nullable=True)  # the UK day a voluntary declaration is for
    capacity_updated_at = db.Column(UTCDateTime, nullable=True)
    capacity_updated_by = db.Column(db.String(120), nullable=True)

    duty_days = db.Column(JSON, nullable=True)  # ISO weekdays on duty, 1 = Monday
    last_offered_at = db.Column(UTCDateTime, nullable=True)  # round-robin among equals

    @property
    def capacity_free(self) -> int | None:
        if self.capacity_total is None:
            return None
        return max(self.capacity_total - self.capacity_in_use, 0)
