"""Acting on a referral through its page, and what the access log says was refused."""
import uuid

from spoa.models import AccessEvent
from tests.support.signing_in import csrf_token


def refusals(db, referral_id):
    db.session.expire_all()
    return [(a.actor_name, a.via) for a in db.session.query(AccessEvent).filter_by(
        referral_id=uuid.UUID(str(referral_id)), refused=True).order_by(AccessEvent.id)]


def fire(client, referral_id, event, reason=None, version="", path=None):
    data = {"event": event, "version": str(version), "csrf_token": csrf_token(client, path or "/")}
    if reason is not None:
        data["reason"] = reason
    return client.post(f"/referrals/{referral_id}/events", data=data)
