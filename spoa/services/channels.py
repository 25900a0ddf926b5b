"""Adding a notification channel: a duty role's, or a person's own (issue 15).

A person's channel is stored with recipient "user:<id>" (and user_id), the
recipient its notifications carry (services/chasing.py), so a notification goes
to one person's email once: a second email (or webhook) for the same person is
refused rather than silently never used."""
from sqlalchemy import select

from ..extensions import db
from ..models import NotificationChannel, User
from ..models.user import username_key
from ..schemas.form_input import one_error
from .admin_change import refuse_if_taken, saving


def add_channel(*, channel: str, target: str, recipient: str | None = None,
                username: str | None = None) -> NotificationChannel:
    user = None
    if username is not None:
        user = db.session.scalar(select(User).where(User.username == username_key(username)))
        if user is None:
            raise one_error("username", f"There is no user called {username}")
        recipient = f"user:{user.id}"
        refuse_if_taken(db.session.scalar(select(NotificationChannel.id).where(
            NotificationChannel.user_id == user.id, NotificationChannel.channel == channel,
            NotificationChannel.is_active.is_(True))) is not None,
            "channel", f"{username} already has an {channel} channel" if channel == "email"
            else f"{username} already has a {channel} channel")
    row = NotificationChannel(recipient=recipient, user_id=user.id if user else None, channel=channel, target=target)
    with saving("target", f"{recipient} already gets {channel} notifications at {target}"):
        db.session.add(row)
    return row
