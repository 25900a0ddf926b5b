"""How a referral is shown through the API, one view per audience (spoa/domain/access.py:
audience): the full view for staff and the service's own systems; the sender's
view for the system that referred it. (Callers only ever see referrals they may
read at all: spoa/domain/access.py.)"""
from datetime import date

from marshmallow import Schema, fields, missing, validate

from rules.clock_policy import URGENCIES
from rules.policy_model import RETURN_REASONS
from spoa.domain import discharge_days, vocab
from spoa.domain.lifecycle import PUBLIC_EVENTS, STATES
from spoa.domain.pathways import pathway_note
from spoa.domain.sender_outcomes import told_line
from spoa.schemas.fields import AsciiDate, AsciiInteger, FreeText, UtcDateTime, printable
from spoa.schemas.intake import CarerSchema, NeedsSchema


class ClockEffectSchema(Schema):
    kind = fields.String(metadata={"enum": ["warning", "breach", "escalation"]})
    level = fields.Integer()
    due_at = fields.AwareDateTime()
    recorded_at = fields.AwareDateTime()


class ClockSchema(Schema):
    name = fields.String()
    counts = fields.String()
    started_at = fields.AwareDateTime()
    deadline = fields.AwareDateTime()
    status = fields.String(metadata={"enum": ["running", "warned", "breached", "met", "cancelled"]})
    warned_at = fields.AwareDateTime(allow_none=True)
    breached_at = fields.AwareDateTime(allow_none=True)
    met_at = fields.AwareDateTime(allow_none=True)
    cancelled_at = fields.AwareDateTime(allow_none=True)
    escalation_level = fields.Integer()
    next_due_at = fields.AwareDateTime(allow_none=True)
    acknowledged_at = fields.AwareDateTime(allow_none=True)
    effects = fields.List(fields.Nested(ClockEffectSchema))


class NotificationSchema(Schema):
    clock = fields.Function(lambda n: n.effect.clock.name if n.effect else None, allow_none=True)
    kind = fields.Function(lambda n: n.effect.kind if n.effect else "alert",
                           metadata={"enum": ["warning", "breach", "escalation", "alert"]})
    level = fields.Function(lambda n: n.effect.level if n.effect else None, allow_none=True)
    alert = fields.String(allow_none=True, metadata={
        "description": "for an alert no clock produced: the flag that raised it (rules/policy/flags.yaml)"})
    recipient = fields.String()
    channel = fields.String()
    subject = fields.String()
    created_at = fields.AwareDateTime()
    status = fields.String(metadata={"enum": ["pending", "sending", "delivered", "failed", "cancelled"]})
    attempts = fields.Integer()
    delivered_at = fields.AwareDateTime(allow_none=True)
    last_error = fields.String(allow_none=True)
    person = fields.Function(lambda n: n.user.username if n.user else None, allow_none=True, metadata={
        "type": "string", "description": "the person on duty it went to (username); null: nobody was"})
    nobody_on_duty = fields.Function(lambda n: list(n.nobody_on_duty or []), metadata={
        "type": "array", "items": {"type": "string"},
        "description": "the recipients passed over because nobody was on duty as them, in chain order"})
    taken_by = fields.Function(lambda n: n.taken_by.username if n.taken_by else None, allow_none=True,
                               metadata={"type": "string", "description": "who said \"I have it\" (username)"})
    taken_at = fields.AwareDateTime(allow_none=True)


class DecisionSchema(Schema):
    kind = fields.String()
    rule_id = fields.String(allow_none=True)
    route = fields.String()
    urgency = fields.String()
    rules_version = fields.String()
    explanation = fields.String()
    facts = fields.Dict()
    reason = fields.String(allow_none=True)
    decided_by = fields.String()
    decided_at = fields.AwareDateTime(attribute="created_at")


class HistorySchema(Schema):
    at = fields.AwareDateTime()
    event = fields.String()
    from_state = fields.String(allow_none=True)
    to_state = fields.String(allow_none=True)
    actor = fields.String(attribute="actor_name")
    actor_kind = fields.String()
    reason = fields.String(allow_none=True)
    detail = fields.Dict(allow_none=True)
    sender_told = fields.Function(told_line, allow_none=True, metadata={
        "type": "string",
        "description": "for an outcome the sender is told of (spoa/domain/sender_outcomes.py): whether and when "
                       "it was, "
                       "e.g. 'sender told: accepted, 09:14', 'sender not told: no callback registered'"})


class PatientViewSchema(Schema):
    nhs_number = fields.String(allow_none=True)
    nhs_number_check_failed = fields.Boolean()
    given_name = fields.String()
    family_name = fields.String()
    date_of_birth = fields.Date()
    sex = fields.String(allow_none=True)
    postcode = fields.String()
    address = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    lives_alone = fields.Boolean(allow_none=True)
    gp_practice_ods = fields.String(allow_none=True)


PATIENT_VIEW = PatientViewSchema()


class DischargeViewSchema(Schema):
    """A discharge referral's section as the ward sent it, with where it stands:
    the pathway its route is on beside the ward's proposal, the current discharge
    ready date (a ready_again replaces it; null while readiness is withdrawn) and
    the discharge once recorded. Only what the hospital sent or SPOA decided:
    the sender's view shows it whole."""

    hospital_ods = fields.String()
    hospital_name = fields.String(allow_none=True)
    ward = fields.String()
    admitted_on = fields.Date()
    discharge_ready_date = fields.Date(allow_none=True, metadata={
        "description": "the current discharge ready date (null while readiness is withdrawn)"})
    referred_discharge_ready_date = fields.Date(metadata={
        "description": "the discharge ready date the referral was made with"})
    expected_discharge_date = fields.Date(allow_none=True)
    proposed_pathway = fields.Integer(allow_none=True, metadata={
        "enum": list(vocab.PATHWAYS), "description": "the ward's proposed pathway: shown, never deciding"})
    pathway = fields.Integer(allow_none=True, metadata={
        "enum": list(vocab.PATHWAYS), "description": "the pathway of the route set (null while a person decides)"})
    pathway_note = fields.String(allow_none=True, metadata={
        "description": "when the ward's and the route's pathways differ, e.g. 'Ward proposed P1, needs say P2.'"})
    needs = fields.Nested(NeedsSchema, allow_none=True)
    care_package = fields.String(allow_none=True, metadata={"enum": list(vocab.CARE_PACKAGES)})
    usual_residence = fields.String(allow_none=True, metadata={"enum": list(vocab.USUAL_RESIDENCES)})
    patient_wishes = fields.String(allow_none=True)
    carer = fields.Nested(CarerSchema, allow_none=True)
    readiness_withdrawn_at = fields.AwareDateTime(allow_none=True)
    discharged_at = fields.AwareDateTime(allow_none=True)
    delayed_days = fields.Integer(metadata={
        "description": "UK days in hospital past the DRD (domain/discharge_days.py)"})
    delay_reason_today = fields.String(allow_none=True, metadata={
        "description": "today's delay reason, a code of rules/policy/discharge.yaml (null: none recorded)"})


class DischargeOf(fields.Nested):
    """A referral's discharge object (null for a community referral), made from
    its stored section and its columns; documented as DischargeViewSchema."""

    def __init__(self, **kwargs):
        super().__init__(DischargeViewSchema, allow_none=True, **kwargs)

    def get_value(self, obj, attr, accessor=None, default=missing):
        if not obj.is_discharge or obj.discharge is None:
            return None
        section = dict(obj.discharge)  # stored JSON: dates as ISO text
        return {
            **section,
            "admitted_on": obj.admitted_on, "expected_discharge_date": obj.expected_discharge_date,
            "discharge_ready_date": obj.discharge_ready_date,
            "referred_discharge_ready_date": date.fromisoformat(section["discharge_ready_date"]),
            "proposed_pathway": obj.proposed_pathway, "pathway": obj.pathway,
            "pathway_note": pathway_note(obj.proposed_pathway, obj.pathway),
            "readiness_withdrawn_at": obj.readiness_withdrawn_at, "discharged_at": obj.discharged_at,
            "delayed_days": discharge_days.delayed_days(obj), "delay_reason_today": discharge_days.reason_on(obj),
        }


class ReferralSummarySchema(Schema):
    id = fields.UUID()
    reference = fields.String()
    version = fields.Integer()
    state = fields.String(metadata={"enum": list(STATES)})
    route = fields.String(allow_none=True)
    assigned_service = fields.String(allow_none=True, metadata={
        "description": "voluntary_sector: the organisation on duty it is offered to"})
    waiting_for = fields.String(allow_none=True, metadata={
        "description": "a flag it carries (rules/policy/flags.yaml), e.g. bed: waiting for a bed"})
    urgency = fields.String(allow_none=True)
    source = fields.String()
    source_reference = fields.String()
    kind = fields.String(metadata={"enum": list(vocab.STORED_KINDS)})
    channel = fields.String()
    received_at = fields.AwareDateTime()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class ReferralSchema(ReferralSummarySchema):
    sender_received_at = fields.AwareDateTime(allow_none=True)
    emas_category = fields.Integer(allow_none=True)
    referrer = fields.Dict(allow_none=True)
    patient = fields.Method("_patient", metadata={"type": "object"})
    presenting_need = fields.String()
    description = fields.String(allow_none=True)
    pathways_disposition = fields.String(allow_none=True)
    red_flags = fields.List(fields.String())
    observations = fields.Dict(allow_none=True)
    mental_health = fields.Dict(allow_none=True)
    function = fields.Dict(allow_none=True)
    consent = fields.Boolean()
    discharge = DischargeOf()
    decision = fields.Nested(DecisionSchema, attribute="rules_decision", allow_none=True)
    current_decision = fields.Nested(DecisionSchema, allow_none=True)
    clocks = fields.List(fields.Nested(ClockSchema))
    notifications = fields.List(fields.Nested(NotificationSchema))
    # required: only the full view carries a history, so the document's oneOf (SenderReferral
    # | Referral) is exclusive (dumping ignores it).
    history = fields.List(fields.Nested(HistorySchema), required=True)

    def _patient(self, referral):
        return PATIENT_VIEW.dump(
            {**referral.patient, "nhs_number_check_failed": referral.nhs_number_check_failed})


class SenderDecisionSchema(DecisionSchema):
    """The rules' decision as the sender may see it: which rule, on which facts
    (drawn from what the sender sent), and why. Not who decided or their reason
    (a person's override is not shown at all: its words name staff and their notes)."""

    class Meta:
        exclude = ("reason", "decided_by")


SENDER_DECISION = SenderDecisionSchema()
SYSTEM_DECISIONS = ("rules", "duty")  # not "override" / "supervisor": a person's, naming them


class SenderClockSchema(ClockSchema):
    """A clock's target and where it stands: not SPOA's chasing of it (escalation, effects)."""

    class Meta:
        exclude = ("counts", "escalation_level", "next_due_at", "acknowledged_at", "effects")


class SenderReferralSchema(ReferralSummarySchema):
    """What a referring system needs to know of its referral: where it went, why,
    where it stands and its deadlines. Never staff usernames (history, decisions),
    notification recipients or delivery errors, or what later callers added
    (add_information's notes): those are the service's and SPOA's business."""

    class Meta:
        exclude = ("channel", "created_at")

    sender_received_at = fields.AwareDateTime(allow_none=True)
    discharge = DischargeOf()  # all the hospital sent, and where it stands: nothing of staff
    decision = fields.Method("_decision", metadata={"type": "object"})
    clocks = fields.List(fields.Nested(SenderClockSchema))

    def _decision(self, referral):
        """The system's latest decision (the rules', or why no duty organisation took
        it): a person's routing shows as the route alone."""
        made = [d for d in referral.decisions if d.kind in SYSTEM_DECISIONS]
        return SENDER_DECISION.dump(made[-1]) if made else None


VIEWS = {"full": ReferralSchema(), "sender": SenderReferralSchema()}


class ReferralPageSchema(Schema):
    items = fields.List(fields.Nested(ReferralSummarySchema))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


# A code (route, source, service) is short printable ASCII: anything else matches
# nothing, and must not reach the database (PostgreSQL refuses NUL in text).
_CODE = [validate.Length(max=32), printable]
# Far beyond any real list, well inside what OFFSET takes: page * per_page stays small.
MAX_PAGE = 100_000


class ReferralQuerySchema(Schema):
    state = fields.String(validate=validate.OneOf(STATES))
    route = fields.String(validate=_CODE)
    source = fields.String(validate=_CODE)
    since = UtcDateTime(metadata={"description": "received at or after this instant"})
    page = AsciiInteger(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = AsciiInteger(load_default=50, validate=validate.Range(min=1, max=200))


class EventSchema(Schema):
    event = fields.String(required=True, validate=validate.OneOf(PUBLIC_EVENTS))
    reason = FreeText(allow_none=True, validate=validate.Length(max=2000), metadata={
        "description": "why, where the event needs one; delay: a reason code of rules/policy/discharge.yaml"})
    route = fields.String(allow_none=True, validate=_CODE, metadata={"description": "override/triage: the new route"})
    urgency = fields.String(allow_none=True, validate=validate.OneOf(URGENCIES))
    service = fields.String(allow_none=True, validate=_CODE, metadata={
        "description": "reassign: the voluntary organisation on duty today to move it to (a service code)"})
    at = UtcDateTime(allow_none=True, metadata={
        "description": "discharged: when the patient left hospital, with its offset (default now; not in the future)"})
    discharge_ready_date = AsciiDate(allow_none=True, metadata={
        "description": "ready_again: the new discharge ready date (today or later, UK)"})
    reason_code = fields.String(allow_none=True, validate=validate.OneOf(tuple(RETURN_REASONS)), metadata={
        "description": "return_to_sender: why the pushed call goes back to the ambulance service, a "
                       "rejected-reasons-bars code (RRNA not available in time, FC failed contact, OTH other); "
                       "reason: the words it reads"})
