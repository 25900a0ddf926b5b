"""Who may act: staff users (sessions) and API clients (bearer tokens)."""
import hashlib
import hmac
import secrets
import unicodedata

from flask_login import UserMixin
from sqlalchemy import JSON
from werkzeug.security import check_password_hash, generate_password_hash

from spoa.extensions import db
from spoa.platform.column_types import UTCDateTime
from spoa.platform.timekeeping import now

ROLES = ("call_handler", "clinician", "supervisor", "admin", "ward", "manager", "analyst")
TOKEN_PREFIX = "spoa_"
STATUS_SCOPE = "status"
# What an API client may read besides its own referrals (ApiClient.scopes), with
# the words the admin page and the CLI's help use for each.
SCOPES = {STATUS_SCOPE: "status: the coordination centre's feed of today's figures (GET /api/v1/status)"}


def username_key(text: str) -> str:
    """The one form a username is stored and looked up in: trimmed, NFC, case-folded
    in Python, so both databases compare exactly what Python compares (SQLite's
    lower() folds ASCII only). New usernames are ASCII besides (schemas/users.py)."""
    folded = unicodedata.normalize("NFC", (text or "").strip()).casefold()
    return unicodedata.normalize("NFC", folded)


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def same_token(stored: str | None, given: str) -> bool:
    """An empty stored token (a row written without one) matches nothing."""
    return bool(stored) and hmac.compare_digest(stored.encode(), str(given).encode())


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(80), nullable=False, unique=True)
    password_hash = db.Column(db.String(255), nullable=False)
    role = db.Column(db.String(16), nullable=False)
    service = db.Column(db.String(32), nullable=True)  # a clinician's own service
    hospital_ods = db.Column(db.String(6), nullable=True)  # a ward user's hospital (ODS code)
    # A service's team lead (a clinician) edits that service's duty rota; a
    # supervisor who is team lead edits the SPOA's own duties (services/rota.py).
    team_lead = db.Column(db.Boolean, nullable=False, default=False, server_default=db.false())
    is_active = db.Column(db.Boolean, nullable=False, default=True)
    # Failed sign-ins in a row, from any address (services/accounts.py): past a
    # number, the account takes one try at a time, each after a wait that ends at
    # locked_until. Locks of one address are SignInFailures rows.
    failed_logins = db.Column(db.Integer, nullable=False, default=0)
    locked_until = db.Column(UTCDateTime, nullable=True)
    created_at = db.Column(UTCDateTime, nullable=False, default=now)
    # In every session cookie (get_id): replacing it ends every session the user has,
    # even a cookie someone copied. Random rather than a counter, so the signing key
    # alone is not enough to forge a session.
    session_token = db.Column(db.String(64), nullable=False, default=new_session_token)

    def get_id(self) -> str:
        """Flask-Login's alternative id: the session is this user's only while the token holds."""
        return f"{self.id}:{self.session_token}"

    def holds_session(self, token: str) -> bool:
        return same_token(self.session_token, token)

    def end_sessions(self) -> None:
        """Every session of this user stops working at its next request (on commit)."""
        self.session_token = new_session_token()

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


ADDRESS_CHARS = 64


class SignInFailures(db.Model):
    """Failed sign-ins to one account from one address, and that address's lock
    (services/accounts.py): only the address the failures came from is locked out."""

    __tablename__ = "sign_in_failures"

    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), primary_key=True)
    address = db.Column(db.String(ADDRESS_CHARS), primary_key=True)  # after ProxyFix; IPv6 is at most 45
    failures = db.Column(db.Integer, nullable=False, default=0)
    first_failed_at = db.Column(UTCDateTime, nullable=False)  # start of the count's window
    locked_until = db.Column(UTCDateTime, nullable=True)


def hash_token(token: str) -> str:
    """Tokens are 256 random bits, so one SHA-256 is enough at rest (a slow
    password hash would only slow every API call)."""
    return hashlib.sha256(token.encode()).hexdigest()


class ApiClient(db.Model):
    __tablename__ = "api_clients"

    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(120), nullable=False, unique=True)
    token_hash = db.Column(db.String(64), nullable=False, unique=True)
    token_hint = db.Column(db.String(16), nullable=False)  # first characters, to tell tokens apart
    sources = db.Column(JSON, nullable=True)  # the sources a sending system may post as
    service = db.Column(db.String(32), nullable=True)  # a service's own system
    hospital_ods = db.Column(db.String(6), nullable=True)  # a hospital's own system (its discharges)
    rate_limit_per_minute = db.Column(db.Integer, nullable=True)
    # What it may read besides its own referrals: "status" is the coordination
    # centre's feed (GET /api/v1/status). None: nothing more (migration 0015).
    scopes = db.Column(JSON, nullable=True)
    # Where the sender is told its referrals' outcomes (Standard Webhooks), and the
    # secret they are signed with, sealed (spoa/platform/sealed.py): SPOA must sign with it,
    # so it cannot be hashed like the token; it is shown once, when issued.
    callback_url = db.Column(db.String(500), nullable=True)
    webhook_secret_sealed = db.Column(db.String(255), nullable=True)
    is_active = db.Column(db.Boolean, nullable=False, default=True)
    created_at = db.Column(UTCDateTime, nullable=False, default=now)

    @classmethod
    def issue(cls, **fields) -> tuple["ApiClient", str]:
        """A new client and its token; the token is returned once and never stored."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        client = cls(token_hash=hash_token(token), token_hint=token[:10], **fields)
        return client, token
