"""Signing in: passwords checked, and failures counted so a password cannot be
guessed at speed, without letting anyone lock a member of staff out.

  From one address: 5 failed sign-ins to an account within 15 minutes lock that
  account from that address for 15 minutes (the right password from there is
  refused too: the lock bounds the guesses made from it). Every other address
  is untouched, so the real user signs in from their own at once.
  From anywhere: failures in a row on one account (no success between, from any
  address) slow it rather than lock it. From SLOW_AFTER in a row, each failure
  makes the account wait before it takes another try (1 s, doubling, at most
  MAX_WAIT); from ACCOUNT_CAP in a row (NIST SP 800-63B 5.2.2: at most 100) it
  takes one try every LOCK_FOR. A try during a wait is refused unchecked and
  uncounted, so it never lengthens the wait; the wait always ends by itself, and
  the right password after it signs in and ends the run. An admin's unlock ends
  the wait and every address's lock.

Every way a sign-in can fail (unknown user, wrong password, deactivated, locked
from here, waiting) gives the caller the same answer after the same work, one
password-hash check, so neither the words nor the time tell which usernames exist
or which are locked. That includes the right password while a lock or wait holds:
if it alone were told, the answer would confirm a guessed password.

The counts are kept atomically: the user's row is read FOR UPDATE (on SQLite every
transaction begins IMMEDIATE, spoa/platform/database.py), and the address's row only under
it, so concurrent wrong passwords count one after another and lock exactly once.
The slow hash check runs before that transaction, never holding the row (or
SQLite's write lock). An unknown username writes nothing: no row for a name.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import delete, or_, select
from werkzeug.security import check_password_hash, generate_password_hash

from spoa.domain import audit
from spoa.domain.actor import Actor
from spoa.extensions import db
from spoa.models import SignInFailures, User
from spoa.models.user import username_key
from spoa.platform.timekeeping import now

# One account from one address.
MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
LOCK_FOR = timedelta(minutes=15)
# One account from anywhere: failures in a row.
SLOW_AFTER = 10
MAX_WAIT = timedelta(seconds=60)
ACCOUNT_CAP = 100


@dataclass
class SignIn:
    user: User | None  # None: refused, for whichever reason (the caller is not told which)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Checked for an unknown username, so it costs what a real user's check costs
    # (the same method and parameters as User.set_password).
    import secrets

    return generate_password_hash(secrets.token_hex(16), method="scrypt")


def wait_after(failures_in_a_row: int) -> timedelta:
    """How long an account waits before its next try, after this many failures in a row."""
    if failures_in_a_row >= ACCOUNT_CAP:
        return LOCK_FOR
    if failures_in_a_row < SLOW_AFTER:
        return timedelta(0)
    return min(MAX_WAIT, timedelta(seconds=2 ** min(failures_in_a_row - SLOW_AFTER, 16)))


def sign_in(username: str, password: str, address: str, address_over: bool = False) -> SignIn:
    """Check a password from ``address``; count failures; commit. ``address_over``: the
    address has had too many failures lately (the web layer's throttle): then only an
    account it has not failed on lately is checked, so one noisy desk behind a shared
    address does not stop its colleagues, and a guesser there gets no more tries."""
    row = db.session.execute(select(User.id, User.password_hash, User.is_active)
                             .where(User.username == username_key(username))).first()
    db.session.rollback()  # end the read: the hash check below must not hold a transaction open
    if row is None:
        check_password_hash(_dummy_hash(), password)
        return SignIn(None)
    right = check_password_hash(row.password_hash, password)
    if not row.is_active:
        return SignIn(None)
    return _record(row.id, address, right, address_over)


def _record(user_id: int, address: str, right: bool, address_over: bool) -> SignIn:
    """The outcome of one check, counted in one transaction with the user's row locked."""
    at = now()
    user = db.session.scalar(select(User).where(User.id == user_id).with_for_update()
                             .execution_options(populate_existing=True))  # as committed, not as last read
    if user is None or not user.is_active:
        db.session.rollback()
        return SignIn(None)
    _forget_spent(user.id, at)
    here = db.session.scalar(select(SignInFailures).where(SignInFailures.user_id == user.id,
                                                          SignInFailures.address == address)
                             .execution_options(populate_existing=True))
    here_locked = here is not None and here.locked_until is not None and here.locked_until > at
    failed_here = here is not None and here.failures > 0 and at - here.first_failed_at <= WINDOW
    waiting = user.locked_until is not None and user.locked_until > at
    if here_locked or waiting or (address_over and failed_here):
        db.session.rollback()  # refused unchecked: nothing counted, no lock or wait lengthened
        return SignIn(None)
    if right:
        user.failed_logins, user.locked_until = 0, None
        if here is not None:
            db.session.delete(here)
        _audit(user, "sign_in")
        db.session.commit()
        return SignIn(user)
    _count_failure(user, here, address, at)
    db.session.commit()
    return SignIn(None)


def _count_failure(user: User, here: SignInFailures | None, address: str, at: datetime) -> None:
    if here is None:
        here = SignInFailures(user_id=user.id, address=address, failures=0, first_failed_at=at)
        db.session.add(here)
    elif at - here.first_failed_at > WINDOW:
        here.failures, here.first_failed_at, here.locked_until = 0, at, None
    here.failures += 1
    if here.failures >= MAX_FAILURES:
        here.locked_until, here.failures, here.first_failed_at = at + LOCK_FOR, 0, at
        _audit(user, "account_locked", detail={"address": address})
    user.failed_logins += 1
    wait = wait_after(user.failed_logins)
    if wait:
        user.locked_until = at + wait
    if user.failed_logins in (SLOW_AFTER, ACCOUNT_CAP):
        _audit(user, "account_slowed", detail={"failures_in_a_row": user.failed_logins})


def _forget_spent(user_id: int, at: datetime) -> None:
    """An address's count whose window and lock are both over is nothing now: deleted,
    so the table holds only what still matters."""
    db.session.execute(delete(SignInFailures).where(
        SignInFailures.user_id == user_id, SignInFailures.first_failed_at < at - WINDOW,
        or_(SignInFailures.locked_until.is_(None), SignInFailures.locked_until <= at)))


def held_until(at: datetime) -> dict[int, datetime]:
    """user id -> when the last of its holds ends (a lock from some address, or the
    account's own wait), for accounts held now (the admin's users page)."""
    locks = select(SignInFailures.user_id, SignInFailures.locked_until).where(SignInFailures.locked_until > at)
    waits = select(User.id, User.locked_until).where(User.locked_until > at)
    held: dict[int, datetime] = {}
    for user_id, until in db.session.execute(locks.union_all(waits)):
        held[user_id] = max(until, held.get(user_id, until))
    return held


def sign_out(user: User) -> None:
    """End every session of the user, this one and any other (a copied cookie too)."""
    user.end_sessions()
    _audit(user, "sign_out")
    db.session.commit()


def unlock(user: User, by: str, by_id: int | None = None) -> None:
    """End the account's wait and every address's lock on it. ``by``/``by_id``: the
    admin who unlocked it (no id from the command line)."""
    user.locked_until, user.failed_logins = None, 0
    db.session.execute(delete(SignInFailures).where(SignInFailures.user_id == user.id))
    _audit(user, "account_unlocked", by=by, by_id=by_id)
    db.session.commit()


def _audit(user: User, event: str, by: str | None = None, by_id: int | None = None, detail=None) -> None:
    # The actor is whoever acted: the user themself, or the admin who unlocked them.
    actor = Actor(kind="user", id=by_id, name=by) if by else Actor.for_user(user)
    audit.record(actor, event, detail={"username": user.username, **(detail or {})})
