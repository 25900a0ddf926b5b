"""Signing in: passwords checked, and an account locked for 15 minutes after 5
failed sign-ins within 15 minutes (issue 5), so a guessed password cannot be
tried at speed. An admin can unlock it."""
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from ..clocks import now
from ..extensions import db
from .. import audit
from ..actor import Actor
from ..models import User

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
LOCK_FOR = timedelta(minutes=15)


@dataclass
class SignIn:
    user: User | None
    locked_until: object = None  # set when the account is locked


def sign_in(username: str, password: str) -> SignIn:
    """Check a password; count failures; commit. Unknown users and wrong passwords
    look the same to the caller (no telling which usernames exist)."""
    at = now()
    user = db.session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
    if user is None or not user.is_active:
        return SignIn(None)
    if user.locked_until and user.locked_until > at:
        return SignIn(None, locked_until=user.locked_until)
    if user.check_password(password):
        user.failed_logins, user.first_failed_at, user.locked_until = 0, None, None
        _audit(user, "sign_in")
        db.session.commit()
        return SignIn(user)
    if not user.first_failed_at or at - user.first_failed_at > WINDOW:
        user.failed_logins, user.first_failed_at = 0, at
    user.failed_logins += 1
    if user.failed_logins >= MAX_FAILURES:
        user.locked_until, user.failed_logins, user.first_failed_at = at + LOCK_FOR, 0, None
        _audit(user, "account_locked")
    db.session.commit()
    return SignIn(None, locked_until=user.locked_until if user.locked_until and user.locked_until > at else None)


def unlock(user: User, by: str, by_id: int | None = None) -> None:
    """``by``/``by_id``: the admin who unlocked it (no id from the command line)."""
    user.locked_until, user.failed_logins, user.first_failed_at = None, 0, None
    _audit(user, "account_unlocked", by, by_id)
    db.session.commit()


def _audit(user: User, event: str, by: str | None = None, by_id: int | None = None) -> None:
    # The actor is whoever acted: the user themself, or the admin who unlocked them.
    actor = Actor(kind="user", id=by_id, name=by) if by else Actor.for_user(user)
    audit.record(actor, event, detail={"username": user.username})
