"""The database rows, one aggregate a module. Import from here."""
from spoa.models.audit import AccessEvent, AuditEvent
from spoa.models.capacity_declaration import CapacityDeclaration
from spoa.models.clock import Clock
from spoa.models.decision import TriageDecision
from spoa.models.delayed_day import DelayedDay
from spoa.models.duty_shift import DutyShift
from spoa.models.fhir_endpoint import FhirEndpoint
from spoa.models.fhir_message import FhirMessage
from spoa.models.form_stash import FormStash
from spoa.models.notification import ClockEffect, DeliveryAttempt, Notification, NotificationChannel
from spoa.models.outbound_host import OutboundHost
from spoa.models.patient_lookup import PatientLookup
from spoa.models.referral import Referral
from spoa.models.service import Service
from spoa.models.user import ApiClient, SignInFailures, User

__all__ = [
    "AccessEvent", "ApiClient", "AuditEvent", "CapacityDeclaration", "Clock", "ClockEffect", "DelayedDay",
    "DeliveryAttempt", "DutyShift", "FhirEndpoint", "FhirMessage", "FormStash", "Notification",
    "NotificationChannel", "OutboundHost", "PatientLookup", "Referral", "Service", "SignInFailures", "TriageDecision",
    "User",
]
