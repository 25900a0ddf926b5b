"""Retention: what SPOA keeps only for a while, and the prune that removes it
once its period (spoa/config.py, docs/security.md, "Retention") has passed.

  raw BaRS bodies      RETAIN_FHIR_BODY_DAYS after the referral closed (its last
                       recorded event). The body is what an outcome response is
                       built from (notifications/bars_response.py), so an open
                       referral's, or one with an outcome still to send, is
                       never touched. The message's row stays (its ids de-duplicate
                       a late retry, and say where replies went); only the bytes go.
  access events        RETAIN_ACCESS_EVENTS_DAYS after the view.
  delivered            RETAIN_DELIVERED_NOTIFICATIONS_DAYS after delivery, with
  notifications        their delivery attempts. Failed and pending ones stay.

Each kind goes a batch a transaction (ids first, then a delete or update by id),
so no run holds a large lock or a long transaction against intake; a run that
stops half way leaves only what the next run removes. Idempotent: nothing is
removed twice, and a run with nothing due writes nothing. What was removed is
counted in one audit event and one log line: numbers only, never whose.
"""
import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, exists, select, update

from spoa.domain import audit
from spoa.domain.actor import Actor
from spoa.domain.lifecycle import CLOSED_STATES
from spoa.extensions import db
from spoa.models import AccessEvent, AuditEvent, DeliveryAttempt, FhirMessage, Notification, Referral
from spoa.platform.timekeeping import now

log = logging.getLogger(__name__)
BATCH = 500
OUTSTANDING = ("pending", "sending")  # an outcome still to be sent needs its referral's BaRS body


def prune(batch: int = BATCH) -> dict[str, int]:
    """Remove everything past its period now; returns what was removed, by kind."""
    config, at = current_app.config, now()
    counts = {
        "fhir_bodies": _in_batches(_fhir_bodies(at - timedelta(days=config["RETAIN_FHIR_BODY_DAYS"])), batch),
        "access_events": _in_batches(_access_events(at - timedelta(days=config["RETAIN_ACCESS_EVENTS_DAYS"])), batch),
        "delivered_notifications": _in_batches(
            _delivered_notifications(at - timedelta(days=config["RETAIN_DELIVERED_NOTIFICATIONS_DAYS"])), batch),
    }
    if any(counts.values()):
        audit.record(Actor.system("retention"), "retention_pruned", detail=counts)
        db.session.commit()
        log.info("retention pruned %s", " ".join(f"{what}={count}" for what, count in counts.items()))
    return counts


def _in_batches(kind, batch: int) -> int:
    """Run one kind's (select ids, remove them) until a batch comes back short."""
    choose, remove = kind
    removed = 0
    while True:
        ids = db.session.scalars(choose.limit(batch)).all()
        if ids:
            remove(ids)
        db.session.commit()
        removed += len(ids)
        if len(ids) < batch:
            return removed


def _fhir_bodies(before):
    since = exists().where(AuditEvent.referral_id == FhirMessage.referral_id, AuditEvent.at >= before)
    outstanding = exists().where(Notification.referral_id == FhirMessage.referral_id,
                                 Notification.status.in_(OUTSTANDING))
    choose = (select(FhirMessage.id).join(Referral, Referral.id == FhirMessage.referral_id)
              .where(Referral.state.in_(CLOSED_STATES), Referral.updated_at < before, ~since, ~outstanding,
                     FhirMessage.body != b"")
              .order_by(FhirMessage.id))

    def remove(ids):
        db.session.execute(update(FhirMessage).where(FhirMessage.id.in_(ids)).values(body=b""))
    return choose, remove


def _access_events(before):
    choose = select(AccessEvent.id).where(AccessEvent.at < before).order_by(AccessEvent.id)

    def remove(ids):
        db.session.execute(delete(AccessEvent).where(AccessEvent.id.in_(ids)))
    return choose, remove


def _delivered_notifications(before):
    choose = (select(Notification.id).where(Notification.status == "delivered", Notification.delivered_at < before)
              .order_by(Notification.id))

    def remove(ids):
        db.session.execute(delete(DeliveryAttempt).where(DeliveryAttempt.notification_id.in_(ids)))
        db.session.execute(delete(Notification).where(Notification.id.in_(ids)))
    return choose, remove
