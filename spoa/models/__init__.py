"""The database rows, one aggregate a module. Import from here."""
from .audit import AccessEvent, AuditEvent
from .capacity_declaration import CapacityDeclaration
from .clock import Clock
from .decision import TriageDecision
from .delayed_day import DelayedDay
from .duty_shift import DutyShift
from .fhir_endpoint import FhirEndpoint
from .fhir_message import FhirMessage
from .form_stash import FormStash
from .notification import ClockEffect, DeliveryAttempt, Notification, NotificationChannel
from .outbound_host import OutboundHost
from .patient_lookup import PatientLookup
from .referral import Referral
from .service import Service
from .user import ApiClient, SignInFailures, User

__all__ = [
    "AccessEvent", "ApiClient", "AuditEvent", "CapacityDeclaration", "Clock", "ClockEffect", "DelayedDay",
    "DeliveryAttempt", "DutyShift", "FhirEndpoint", "FhirMessage", "FormStash", "Notification",
    "NotificationChannel", "OutboundHost", "PatientLookup", "Referral", "Service", "SignInFailures", "TriageDecision",
    "User",
]
