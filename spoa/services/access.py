"""The audit of access: who viewed which referral, when (product.md, data protection)."""
from ..extensions import db
from ..lifecycle import Actor
from ..models import AccessEvent


def record_view(referral, actor: Actor, via: str) -> None:
    db.session.add(AccessEvent(referral_id=referral.id, actor_name=actor.name, via=via,
                               user_id=actor.id if actor.kind == "user" else None))
    db.session.commit()
