"""Adding a notification channel: a duty role's, or a person's own.

A person's channel is stored with recipient "user:<id>" (and user_id), the
recipient its notifications carry (notifications/chasing.py). A notification goes to
one email and one webhook of a recipient (chasing._channels: one copy a recipient and
channel), so a second of the same kind, a person's or a role's, is refused rather
than silently never used."""
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
