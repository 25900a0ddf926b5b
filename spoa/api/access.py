"""Which referrals a caller may see: a sending system its own, a service's
system its service's (for a voluntary organisation's, those offered to it);
staff (later issues) all of them."""
from sqlalchemy import or_

from ..lifecycle import Actor
from ..models import Referral


def visible_filter(actor: Actor):
    if actor.kind != "api_client":
        return None  # staff see every referral
    conditions = [Referral.api_client_id == actor.id]
    if actor.service:
        conditions += [Referral.route == actor.service, Referral.assigned_service == actor.service]
    return or_(*conditions)


def can_see(actor: Actor, referral: Referral) -> bool:
    if actor.kind != "api_client":
        return True
    return referral.api_client_id == actor.id or (
        actor.service is not None and actor.service in (referral.route, referral.assigned_service))
