"""A pushed 999 call given back to the ambulance service (return_to_sender): what its
audit row says, and the supervisor told when SPOA gave it back by itself.

Three ways back, one event: the rules at intake (rows P1, P2: services/triage.py), a
person (the crisis service's system through the API, a supervisor from the page:
services/actions.py), and SPOA itself when the call's breach time passes untaken
(services/push_returns.py, from the reconciler).
"""
from spoa.notifications import notifying
from spoa.platform.timekeeping import now

# What SPOA says when it gives a call back by itself at its breach time.
AUTOMATIC_CODE = "RRNA"
AUTOMATIC_REASON = "not taken by the breach time"
SUPERVISOR = "spoa_supervisor"


def detail(reason_code: str, reason: str | None, automatic: bool, **more) -> dict:
    """The audit row's detail (spoa/reports/push.py reads these three): automatic is
    true only for the return SPOA made by itself at the breach time."""
    return {"reason_code": reason_code, "reason": reason, "automatic": automatic, **more}


def alert_supervisor(referral, reason: str | None, alert_id: str = "returned") -> None:
    notifying.alert(referral, SUPERVISOR,
                    f"{referral.reference}: returned to the ambulance service ({reason or 'no reason given'})",
                    alert_id, now())
