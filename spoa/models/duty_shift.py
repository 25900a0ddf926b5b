"""Who holds a duty role, from when to when: the rota. A row is one
named person's shift on one duty: a service's duty lead (``service`` set), or
the SPOA's own supervisor or on-call manager (``service`` None). Instants are
stored in UTC; the rota is written and shown in UK time (spoa/services/rota.py).
A shift holds [starts_at, ends_at): at its end the next one's holder has it."""
from spoa.extensions import db
from spoa.platform.column_types import UTCDateTime
from spoa.platform.timekeeping import now

# The duty roles of the escalation chain (rules/policy/clocks.yaml escalation_chain).
SERVICE_DUTY_LEAD = "service_duty_lead"
SPOA_SUPERVISOR = "spoa_supervisor"
ON_CALL_MANAGER = "on_call_manager"
DUTIES = (SERVICE_DUTY_LEAD, SPOA_SUPERVISOR, ON_CALL_MANAGER)


class DutyShift(db.Model):
    __tablename__ = "duty_shifts"
    __table_args__ = (
        db.CheckConstraint("ends_at > starts_at", name="duty_shift_ends_after_start"),
        db.CheckConstraint("(duty = 'service_duty_lead' AND service IS NOT NULL)"
                           " OR (duty <> 'service_duty_lead' AND service IS NULL)",
                           name="duty_shift_service_iff_lead"),
        db.Index("ix_duty_shifts_duty_service_starts_at", "duty", "service", "starts_at"),
        db.Index("ix_duty_shifts_user_id_starts_at", "user_id", "starts_at"),
    )

    id = db.Column(db.Integer, primary_key=True)
    duty = db.Column(db.String(24), nullable=False)       # one of DUTIES
    service = db.Column(db.String(32), nullable=True)     # a service route id, for service_duty_lead only
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    starts_at = db.Column(UTCDateTime, nullable=False)
    ends_at = db.Column(UTCDateTime, nullable=False)
    created_by = db.Column(db.String(120), nullable=False)  # the actor's name (a person, or the CLI)
    created_at = db.Column(UTCDateTime, nullable=False, default=now)

    user = db.relationship("User")

    @property
    def recipient(self) -> str:
        """The notification recipient this duty is (notifications/addressing.py's words)."""
        return f"{self.duty}:{self.service}" if self.service else self.duty
