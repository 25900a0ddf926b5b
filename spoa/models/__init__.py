"""The database rows, one aggregate a module. Import from here."""
from .audit import AuditEvent
from .clock import Clock
from .decision import TriageDecision
from .referral import Referral
from .service import Service
from .user import ApiClient, User

__all__ = ["ApiClient", "AuditEvent", "Clock", "Referral", "Service", "TriageDecision", "User"]
