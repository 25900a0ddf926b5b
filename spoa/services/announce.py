"""Announce committed changes to the live queue: which referrals changed, whether
capacity did, and whether an in-app notification was made or taken ("inbox": the
badges, spoa/web/notifications.py), on one Redis pub/sub channel that every web process hears.

Hooked to the session, not to each service: whatever commits a referral, clock
or service (intake, a page, the API, a worker's chase) is announced, and only
after the commit, so no page ever shows what was rolled back. Publishing fails
open: a Redis outage must not stop a referral being stored; pages notice the
broken stream and take a fresh snapshot when it returns.
"""
import json
import logging
import time

from flask import current_app, has_app_context
from sqlalchemy import event

from spoa.extensions import db
from spoa.platform.redis_store import optional

log = logging.getLogger(__name__)
_KEY = "spoa_live_changes"
_MISSED = "spoa_live_missed"  # app.extensions: an announcement of this process did not get through


def _changes(session) -> dict:
    return session.info.setdefault(_KEY, {"referrals": set(), "capacity": False, "inbox": False})


def inbox_changed(session) -> None:
    """Notifications were taken by a bulk UPDATE (notifications/inbox.py: mark_taken), which no
    flush sees: say so, so the commit announces it like a Notification row flushed."""
    _changes(session)["inbox"] = True


def _collect(session, _flush_context, _instances) -> None:
    from spoa.models import AuditEvent, Clock, DelayedDay, Notification, Referral, Service

    changes = _changes(session)
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Referral):
            changes["referrals"].add(str(obj.id))
        elif isinstance(obj, (Clock, DelayedDay, AuditEvent)):
            # A clock, a delayed day's reason (the discharges' lane shows it), or any
            # audited event on a referral: its row may read differently now.
            referral_id = obj.referral_id or (obj.referral.id if obj.referral is not None else None)
            if referral_id is not None:
                changes["referrals"].add(str(referral_id))
        elif isinstance(obj, Service):
            changes["capacity"] = True
        if isinstance(obj, Notification) and obj.channel == "in_app":
            # A notification made or taken: every badge recounts its own person's inbox.
            changes["inbox"] = True


def _publish(session) -> None:
    changes = session.info.pop(_KEY, None)
    if not changes or not (changes["referrals"] or changes["capacity"] or changes["inbox"]) \
            or not has_app_context():
        return
    message = {"referrals": sorted(changes["referrals"]), "capacity": changes["capacity"],
               "committed_at": time.time()}
    if changes["inbox"]:
        message["inbox"] = True
    # A change this process could not announce (Redis away, or its breaker still open
    # after Redis came back) would never reach pages that had already resynced: the
    # next announcement that gets through says so, and every page takes a snapshot.
    ext = current_app.extensions
    if ext.get(_MISSED):
        message["resync"] = True
    message = json.dumps(message)
    channel = current_app.config["LIVE_CHANNEL"]
    ext[_MISSED] = optional(lambda r: r.publish(channel, message)) is None


def _forget(session) -> None:
    session.info.pop(_KEY, None)


def init_app(app) -> None:
    # db.session is one scoped_session for every app in the process: listen once.
    if not event.contains(db.session, "before_flush", _collect):
        event.listen(db.session, "before_flush", _collect)
        event.listen(db.session, "after_commit", _publish)
        event.listen(db.session, "after_rollback", _forget)
