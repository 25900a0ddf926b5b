"""Notification channels: adding one (a duty role's, or a person's own), and the
copies a notification goes out as.

A person's channel is stored with recipient "user:<id>" (and user_id), the
recipient its notifications carry (notifications/notifying.py). A notification goes to
one email and one webhook of a recipient (copies_for: one copy a recipient and
channel), so a second of the same kind, a person's or a role's, is refused rather
than silently never used."""
from flask import g
from sqlalchemy import select

from spoa.extensions import db
from spoa.models import NotificationChannel, User
from spoa.models.user import username_key
from spoa.schemas.form_input import one_error
from spoa.services.admin_change import refuse_if_taken, saving


def add_channel(*, channel: str, target: str, recipient: str | None = None,
                username: str | None = None) -> NotificationChannel:
    user = None
    if username is not None:
        user = db.session.scalar(select(User).where(User.username == username_key(username)))
        if user is None:
            raise one_error("username", f"There is no user called {username}")
        recipient = f"user:{user.id}"
        refuse_if_taken(_has_one(NotificationChannel.user_id == user.id, channel),
                        "channel", _already_has(username, channel))
    else:
        refuse_if_taken(_has_one(NotificationChannel.recipient == recipient, channel, but_not=target),
                        "channel", _already_has(recipient, channel))
    row = NotificationChannel(recipient=recipient, user_id=user.id if user else None, channel=channel, target=target)
    with saving("target", f"{recipient} already gets {channel} notifications at {target}"):
        db.session.add(row)
    return row


def _has_one(whose, channel: str, but_not: str | None = None) -> bool:
    """An active channel of this kind already (at another target: the same one is the
    unique constraint's, and its message says so)."""
    found = select(NotificationChannel.id).where(
        whose, NotificationChannel.channel == channel, NotificationChannel.is_active.is_(True))
    if but_not is not None:
        found = found.where(NotificationChannel.target != but_not)
    return db.session.scalar(found) is not None


def _already_has(who: str, channel: str) -> str:
    return f"{who} already has an {channel} channel" if channel == "email" else f"{who} already has a {channel} channel"


def copies_for(recipient: str, user_id: int | None = None) -> list[tuple[str, str, str | None]]:
    """(recipient, channel, target) for each copy: in-app always; the recipient
    role's email and webhook where configured; the person's own as "user:<id>".
    One copy a (recipient, channel), as the unique (effect, recipient, channel)
    asks: a service's own channel ("service_duty_lead:crisis_response") stands in
    for the every-service one ("service_duty_lead") of the same kind. Read once per
    unit of work (a request or a job), not once per notification."""
    if "spoa_channels" not in g:
        rows = db.session.execute(select(
            NotificationChannel.recipient, NotificationChannel.user_id, NotificationChannel.channel,
            NotificationChannel.target,
        ).where(NotificationChannel.is_active.is_(True)).order_by(NotificationChannel.id)).all()
        g.spoa_channels = [tuple(r) for r in rows]
    role = {}
    for wanted in (recipient, recipient.split(":")[0]):  # the service's own first
        for who, person, ch, target in g.spoa_channels:
            if person is None and who == wanted:
                role.setdefault(ch, (recipient, ch, target))
    own = [(f"user:{person}", ch, target) for _, person, ch, target in g.spoa_channels
           if person is not None and person == user_id]
    return [(recipient, "in_app", None)] + list(role.values()) + own
