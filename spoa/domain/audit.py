"""The one way an audit row is written (the append-only history of who did what).

Rows are added to the caller's transaction, never committed here: the change
and its record commit together or not at all.
"""
from spoa.domain.actor import Actor
from spoa.extensions import db
from spoa.models import AuditEvent


def record(actor: Actor, event: str, *, referral=None, from_state: str | None = None,
           to_state: str | None = None, reason: str | None = None, detail: dict | None = None) -> AuditEvent:
    row = AuditEvent(actor_kind=actor.kind, actor_id=actor.id, actor_name=actor.name, event=event,
                     from_state=from_state, to_state=to_state, reason=reason, detail=detail)
    if referral is not None:
        referral.history.append(row)  # in its history (and its session) at once
    else:
        db.session.add(row)
    return row
