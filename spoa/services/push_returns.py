"""A pushed 999 call nobody took by its breach time goes back to the ambulance service
by itself (the reconciler finds its clock due: workers/reconciler.py): RRNA, "not taken
by the breach time", through the lifecycle with its audit row, the supervisor alerted
(services/actions.py's return_to_sender effect). A pushed call never sits past its
breach time with the ambulance service believing it is handled."""
import logging

from spoa.domain.actor import Actor
from spoa.domain.lifecycle import LifecycleError
from spoa.extensions import db
from spoa.models import Referral
from spoa.notifications.chasing import return_due
from spoa.platform.timekeeping import now
from spoa.services import returns
from spoa.services.actions import apply_event

log = logging.getLogger(__name__)
WHO = "SPOA at the breach time"


def return_untaken(referral_id) -> bool:
    """Give the call back if a clock of its still says so now (taken, cancelled or
    returned meanwhile: nothing to do). True when it went back. Commits."""
    referral = db.session.get(Referral, referral_id)
    if referral is None or not any(return_due(clock, now()) for clock in referral.clocks):
        db.session.rollback()
        return False
    try:
        apply_event(referral, "return_to_sender", Actor.system(WHO), reason=returns.AUTOMATIC_REASON,
                    reason_code=returns.AUTOMATIC_CODE)
    except LifecycleError as exc:
        # A person's event won the same instant (accepted, cancelled): theirs stands.
        db.session.rollback()
        log.info("automatic return not made referral_id=%s status=%s", referral_id, exc.status)
        return False
    log.info("pushed call returned at its breach time referral_id=%s", referral_id)
    return True
