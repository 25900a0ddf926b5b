"""A person's inbox: the badge on every page, /notifications, "I have it",
and the badge's live count (/notifications/events).

What is open and whose is spoa/notifications/inbox.py; this module only shows it. The
badge is counted once a request, and only when a page's header asks for it
(base.html): anonymous pages and fragments run no query. The live count is a stream
run as the queue's is (web/streams.py), with a Broadcaster of its own on the same
channel, so the queue's renders and the badges' counts do not make each other's work.
"""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from spoa.domain import access
from spoa.domain.lifecycle import LifecycleError
from spoa.extensions import db
from spoa.live import stream
from spoa.live.broadcast import RESYNC, Broadcaster, of_app
from spoa.models import Notification
from spoa.notifications import inbox
from spoa.platform.database import database_unavailable, holds_a_connection
from spoa.platform.timekeeping import format_uk, now
from spoa.services import rota
from spoa.services.actions import apply_event
from spoa.web import bp, login_adapter, streams
from spoa.web.roles import current_actor
from spoa.web.security import load_user

COUNT_SECONDS = 60  # duties change at shift boundaries: a badge recounts at least this often


def badge_rest(count: int) -> str:
    return "notification needs someone" if count == 1 else "notifications need someone"


def badge_words(count: int) -> str:
    """The badge's text, which is its accessible name, the count first: "3 notifications need someone"."""
    return f"{count} {badge_rest(count)}"


@bp.app_context_processor
def _inbox_badge():
    def header():
        """What the header shows a signed-in person, read once a request: who they are and
        their open count (None when the database is away: the page still shows, its badge
        without a number). Nothing for nobody signed in: no query."""
        if not hasattr(request, "spoa_header"):
            request.spoa_header = {"who": None, "count": None}
            if current_user.is_authenticated:
                request.spoa_header = _header_of(current_user)
        return request.spoa_header

    return {"inbox_header": header, "inbox_badge_rest": badge_rest}


def _header_of(user) -> dict:
    # A view that let its session go (the rules replay reads on a connection of its own)
    # gets it back as it was: the header's reads (the person's name, reloaded, and the
    # count) leave no transaction open (on SQLite, BEGIN IMMEDIATE: the write lock) for
    # the rest of the page. Both are read here, together, for that reason.
    began = not holds_a_connection(db.session)
    found = {"who": None, "count": None}
    try:
        found["who"] = f"{user.username} ({user.role.replace('_', ' ')})"
        found["count"] = inbox.count_for(user, now())
    except SQLAlchemyError as exc:
        if not database_unavailable(exc):
            raise
        began = True
    finally:
        if began:
            db.session.rollback()
    return found


def went_to(notification: Notification) -> str:
    """Who it went to: the person, or the duties nobody held and where it went instead."""
    if notification.user is not None:
        person = notification.user.username
        reached = f"{person} ({rota.duty_words(notification.recipient)})"
    else:
        reached = rota.duty_words(notification.recipient)
    passed = notification.nobody_on_duty or []
    if passed:
        return f"{rota.nobody_words(passed)}, sent on to {reached}"
    return reached


def taker(notification: Notification) -> str:
    """Who took it: a person, or (None) a service's system acknowledging over the API."""
    return notification.taken_by.username if notification.taken_by is not None else "the service's own system"


def taken_words(notification: Notification) -> str:
    return f"Taken by {taker(notification)} at {format_uk(notification.taken_at)}"


@bp.get("/notifications")
def notifications():
    at = now()
    return render_template("notifications.html", open_items=inbox.open_for(current_user, at),
                           taken=inbox.recently_taken(current_user, at), went_to=went_to,
                           taken_words=taken_words)


def _mine_or_404(notification_id: int) -> Notification:
    """A notification in this person's inbox (open or taken since): else 404, as for one
    that does not exist (someone else's, or a referral the access policy hides)."""
    found = db.session.scalar(inbox.mine(current_user, now(), notification_id))
    if found is None:
        abort(404)
    return found


@bp.post("/notifications/<int:notification_id>/take")
def take_notification(notification_id):
    notification = _mine_or_404(notification_id)
    reference = notification.referral.reference
    if notification.taken_at is None and inbox.still_open(notification):
        clock = notification.effect.clock if notification.effect is not None else None
        try:
            if clock is not None and clock.awaits_acknowledgement:
                # As the referral page's button: the lifecycle, audited; inbox.acknowledge takes the inboxes.
                apply_event(notification.referral, "acknowledge_escalation", current_actor())
            else:
                inbox.take(notification, current_user, now())
        except LifecycleError as exc:
            if exc.status == 403:
                abort(404)
            db.session.rollback()  # lost a race (409): what it was lost to is read below
            if not _taken_since(notification):
                flash(f"{reference}: {exc.message}")
                return redirect(url_for("web.notifications"))
    db.session.expire_all()
    notification = db.session.get(Notification, notification_id)
    if notification.taken_at is not None and notification.taken_by_user_id == current_user.id:
        flash(f"You have it: {reference}")
    elif notification.taken_at is not None:
        flash(f"{reference}: {taker(notification)} already has it.")
    else:
        flash(f"{reference}: nothing left to take (the clock has moved on or stopped).")
    return redirect(url_for("web.notifications"))


def _taken_since(notification) -> bool:
    db.session.expire_all()
    return db.session.get(Notification, notification.id).taken_at is not None


# --- the badge's live count --------------------------------------------------------------

def render_changes(message: dict) -> list[tuple[str, dict]]:
    """Once a process: a message about notifications means every badge recounts."""
    return [("inbox", {})] if message.get("inbox") else []


def broadcaster() -> Broadcaster:
    return of_app("spoa_inbox_broadcaster", render_changes)


def _count_event(session_user_id) -> str | None:
    """The person's count now, as an event; None when it cannot be read (say nothing)."""
    try:
        user = load_user(session_user_id)
        if user is None:
            return None
        at = now()
        count = inbox.count_for(user, at)
        # The newest open one too: a breach that supersedes its clock's warning leaves
        # the count as it was, and must still be news (the badge announces it).
        newest = inbox.open_for(user, at, limit=1) if count else []
        return stream.sse("count", {"count": count, "rest": badge_rest(count), "words": badge_words(count),
                                     "newest": newest[0].id if newest else None,
                                     "newest_words": newest[0].subject if newest else None})
    except SQLAlchemyError:
        return None
    finally:
        db.session.remove()  # not held open for the stream's life


@bp.get("/notifications/events")
def notification_events():
    session_user_id = login_adapter.session_user_id()

    def count() -> str | None:
        return _count_event(session_user_id)

    def on_message(_ticket, name, _data) -> str | None:
        return count() if name in ("inbox", RESYNC) else None  # a notification made or taken, or news missed

    return streams.serve(broadcaster(), allowed=access.may_use_inbox,
                         closed_words="Your session has ended: reload the page.", first=count, on_message=on_message,
                         every=float(current_app.config.get("INBOX_COUNT_SECONDS", COUNT_SECONDS)), on_tick=count)
