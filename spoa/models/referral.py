"""A referral: who sent it, the patient, what is wrong, and where it stands."""
import uuid

from sqlalchemy import JSON, Index, UniqueConstraint, text

from spoa.extensions import db
from spoa.platform.column_types import UTCDateTime
from spoa.platform.timekeeping import now


class Referral(db.Model):
    __tablename__ = "referrals"
    __table_args__ = (
        # Idempotency is the database's job: a retry, however concurrent, cannot
        # insert a second row (intake-contract.md, "200 OK ... nothing is created twice").
        # A sender's references are its own: two GP systems may number alike, and
        # neither ever finds the other's referral (migration 0009).
        UniqueConstraint("api_client_id", "source_reference"),
        UniqueConstraint("api_client_id", "idempotency_key"),
        # A staff form's referral has no client (NULL, distinct to a unique
        # constraint): its own key is the source and the form's submission id.
        Index("uq_referrals_form_source_source_reference", "source", "source_reference", unique=True,
              sqlite_where=text("api_client_id IS NULL"), postgresql_where=text("api_client_id IS NULL")),
        Index("ix_referrals_state_route", "state", "route"),
        Index("ix_referrals_nhs_number", "nhs_number"),
        Index("ix_referrals_date_of_birth_postcode", "date_of_birth", "postcode"),  # duplicate check
        Index("ix_referrals_kind_hospital_ods", "kind", "hospital_ods"),  # a ward's own discharges
        # A report's period; on PostgreSQL it covers what the reports group by (migration 0018).
        Index("ix_referrals_received_at", "received_at",
              postgresql_include=["source", "route", "state", "emas_category", "first_contact_at", "id"]),
        Index("ix_referrals_discharged_at", "discharged_at"),  # discharges in a report's period
    )

    id = db.Column(db.Uuid, primary_key=True, default=uuid.uuid4)
    reference = db.Column(db.String(16), nullable=False, unique=True)
    version = db.Column(db.Integer, nullable=False)

    source = db.Column(db.String(32), nullable=False)
    source_reference = db.Column(db.String(64), nullable=False)
    api_client_id = db.Column(db.Integer, db.ForeignKey("api_clients.id"), nullable=True)
    created_by_user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=True)
    idempotency_key = db.Column(db.String(255), nullable=True)
    content_hash = db.Column(db.String(64), nullable=False)
    channel = db.Column(db.String(16), nullable=False, default="api")  # api | fhir | form

    # received_at is the receipt every clock counts from; sender_received_at is
    # what the sender said, kept even when it was not used (in the future).
    received_at = db.Column(UTCDateTime, nullable=False)
    sender_received_at = db.Column(UTCDateTime, nullable=True)
    created_at = db.Column(UTCDateTime, nullable=False, default=now)
    updated_at = db.Column(UTCDateTime, nullable=False, default=now, onupdate=now)

    state = db.Column(db.String(20), nullable=False, default="received")
    route = db.Column(db.String(32), nullable=True)
    urgency = db.Column(db.String(16), nullable=True)
    # voluntary_sector: the duty organisation it is offered to (a services.code)
    assigned_service = db.Column(db.String(32), nullable=True, index=True)
    waiting_for = db.Column(db.String(16), nullable=True)  # a flag the rules raised, e.g. "bed" (flags.yaml)

    emas_category = db.Column(db.Integer, nullable=True)
    referrer = db.Column(JSON, nullable=True)

    nhs_number = db.Column(db.String(10), nullable=True)
    nhs_number_check_failed = db.Column(db.Boolean, nullable=False, default=False)
    given_name = db.Column(db.String(100), nullable=False)
    family_name = db.Column(db.String(100), nullable=False)
    date_of_birth = db.Column(db.Date, nullable=False)
    sex = db.Column(db.String(16), nullable=True)
    postcode = db.Column(db.String(8), nullable=False)
    address = db.Column(db.String(500), nullable=True)
    phone = db.Column(db.String(32), nullable=True)
    lives_alone = db.Column(db.Boolean, nullable=True)
    gp_practice_ods = db.Column(db.String(10), nullable=True)

    presenting_need = db.Column(db.String(40), nullable=False)
    description = db.Column(db.Text, nullable=True)
    pathways_disposition = db.Column(db.String(8), nullable=True)
    red_flags = db.Column(JSON, nullable=False, default=list)
    observations = db.Column(JSON, nullable=True)
    mental_health = db.Column(JSON, nullable=True)
    function = db.Column(JSON, nullable=True)
    consent = db.Column(db.Boolean, nullable=False)

    # Intake 1.1: a hospital discharge (transfer of care) or, as before, a community referral.
    kind = db.Column(db.String(16), nullable=False, default="community", server_default="community")
    # The discharge section as received (needs, care package, wishes, carer); the
    # values the rules, the queue, the ward's access and reports select on are columns.
    discharge = db.Column(JSON, nullable=True)
    hospital_ods = db.Column(db.String(6), nullable=True)
    ward = db.Column(db.String(100), nullable=True)
    admitted_on = db.Column(db.Date, nullable=True)
    # The current discharge ready date: None while readiness is withdrawn (the
    # discharge clock stopped); ready_again sets a new one.
    discharge_ready_date = db.Column(db.Date, nullable=True)
    expected_discharge_date = db.Column(db.Date, nullable=True)
    proposed_pathway = db.Column(db.Integer, nullable=True)  # the ward's view: shown, never deciding
    pathway = db.Column(db.Integer, nullable=True)  # the pathway of the route set (None: a person decides)
    readiness_withdrawn_at = db.Column(UTCDateTime, nullable=True)
    discharged_at = db.Column(UTCDateTime, nullable=True)  # the patient left hospital
    # When the service first made contact (the first first_contact event's own time,
    # services/events.py): time to first contact is a report's figure on every route.
    first_contact_at = db.Column(UTCDateTime, nullable=True)

    # A 999 call pushed by the ambulance service (kind pushed_call; BaRS Application 4):
    # the time by which it takes the call back if SPOA has not taken it (occurrencePeriod.end),
    # its own case number, and what the crew needs at the door. Safeguarding flags and
    # ranked contacts come with any BaRS message; None when the sender said nothing.
    breach_at = db.Column(UTCDateTime, nullable=True)
    sender_case_number = db.Column(db.String(64), nullable=True)
    scene_safety = db.Column(JSON, nullable=True)   # {"code", "display"}
    contacts = db.Column(JSON, nullable=True)       # [{"rank", "name", "relationship", "telecom": [...]}]
    location = db.Column(JSON, nullable=True)       # {"name", "address", "postcode"}
    safeguarding = db.Column(JSON, nullable=True)   # ["text of each safeguarding flag"]
    # The sender's word on the NHS number (UK Core verification status code), or None.
    nhs_number_verification = db.Column(db.String(40), nullable=True)

    decisions = db.relationship(
        "TriageDecision", back_populates="referral", order_by="TriageDecision.id",
        cascade="all, delete-orphan",
    )
    clocks = db.relationship(
        "Clock", back_populates="referral", order_by="Clock.id", cascade="all, delete-orphan"
    )
    history = db.relationship(
        "AuditEvent", back_populates="referral", order_by="AuditEvent.id",
        cascade="all, delete-orphan",
    )
    # Notifications no clock produced: a flag's alert to the supervisor (see services/flags.py).
    delayed_days = db.relationship(
        "DelayedDay", back_populates="referral", order_by="DelayedDay.day", cascade="all, delete-orphan",
    )
    alerts = db.relationship(
        "Notification", primaryjoin="and_(Referral.id == Notification.referral_id, Notification.alert.isnot(None))",
        order_by="Notification.id", cascade="all, delete-orphan",
    )

    # Optimistic locking: every UPDATE says "WHERE version = <what I read>", so
    # two writers that read the same version cannot both win.
    __mapper_args__ = {"version_id_col": version}

    PATIENT_FIELDS = (
        "nhs_number", "given_name", "family_name", "date_of_birth", "sex", "postcode",
        "address", "phone", "lives_alone", "gp_practice_ods",
    )

    @property
    def patient(self) -> dict:
        return {name: getattr(self, name) for name in self.PATIENT_FIELDS}

    @property
    def is_discharge(self) -> bool:
        return self.kind == "discharge"

    @property
    def is_pushed_call(self) -> bool:
        return self.kind == "pushed_call"

    @property
    def rules_decision(self):
        """The rules engine's own decision: overrides sit beside it, never replace it."""
        return next((d for d in reversed(self.decisions) if d.kind == "rules"), None)

    @property
    def current_decision(self):
        return self.decisions[-1] if self.decisions else None

    @property
    def notifications(self):
        """Every notification its clocks produced, and its alerts, oldest first (from
        the loaded clocks and alerts: a new referral's answer needs no query)."""
        found = [n for c in self.clocks for e in c.effects for n in e.notifications] + list(self.alerts)
        return sorted(found, key=lambda n: (n.created_at, n.id or 0))

    @property
    def active_clocks(self):
        return [c for c in self.clocks if c.is_running]

    @property
    def has_unacknowledged_breach(self) -> bool:
        """A clock breached and not yet acknowledged: what "acknowledge escalation" is for."""
        return any(c.awaits_acknowledgement for c in self.clocks)

    def __repr__(self):  # ids only: never patient details in logs
        return f"<Referral {self.id} {self.reference} {self.state}>"
