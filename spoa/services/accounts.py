"""Signing in: passwords checked, and an account locked for 15 minutes after 5
failed sign-ins within 15 minutes (issue 5), so a guessed password cannot be
tried at speed. An admin can unlock it.

Every way a sign-in can fail (unknown user, wrong password, deactivated, locked)
gives the caller the same answer after the same work, one password-hash check, so
neither the words nor the time tell which usernames exist or which are locked.
That includes the right password for a locked account: if it alone were told
"locked", the lock would confirm a guessed password while it held (issue 10).

The count is kept atomically: the row is read FOR UPDATE (on SQLite every
transaction begins IMMEDIATE, spoa/database.py), so concurrent wrong passwords
count one after another and lock the account exactly once. The slow hash check
runs before that transaction, never holding the row (or SQLite's write lock).
"""
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from ..clocks import now
from ..extensions import db
from .. import audit
from ..actor import Actor
from ..models import User
from ..models.user import username_key

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
LOCK_FOR = timedelta(minutes=15)


@dataclass
class SignIn:
    user: User | None  # None: refused, for whichever reason (the caller is not told which)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Checked for an unknown username, so it costs what a real user's check costs
    # (the same method and parameters as User.set_password).
    import secrets

    return generate_password_hash(secrets.token_hex(16), method="scrypt")


def sign_in(username: str, password: str) -> SignIn:
    """Check a password; count failures; commit."""
    row = db.session.execute(select(User.id, User.password_hash, User.is_active)
                             .where(User.username == username_key(username))).first()
    db.session.rollback()  # end the read: the hash check below must not hold a transaction open
    if row is None:
        check_password_hash(_dummy_hash(), password)
        return SignIn(None)
    right = check_password_hash(row.password_hash, password)
    if not row.is_active:
        return SignIn(None)
    return _record(row.id, right)


def _record(user_id: int, right: bool) -> SignIn:
    """The outcome of one check, counted in one transaction with the row locked."""
    at = now()
    user = db.session.scalar(select(User).where(User.id == user_id).with_for_update()
                             .execution_options(populate_existing=True))  # as committed, not as last read
    if user is None or not user.is_active or (user.locked_until and user.locked_until > at):
        db.session.rollback()  # a locked account counts nothing more: the lock is not extended
        return SignIn(None)
    if right:
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
    return SignIn(None)


def sign_out(user: User) -> None:
    """End every session of the user, this one and any other (a copied cookie too)."""
    user.end_sessions()
    _audit(user, "sign_out")
    db.session.commit()


def unlock(user: User, by: str, by_id: int | None = None) -> None:
    """``by``/``by_id``: the admin who unlocked it (no id from the command line)."""
    user.locked_until, user.failed_logins, user.first_failed_at = None, 0, None
    _audit(user, "account_unlocked", by, by_id)
    db.session.commit()


def _audit(user: User, event: str, by: str | None = None, by_id: int | None = None) -> None:
    # The actor is whoever acted: the user themself, or the admin who unlocked them.
    actor = Actor(kind="user", id=by_id, name=by) if by else Actor.for_user(user)
    audit.record(actor, event, detail={"username": user.username})
