"""Secrets SPOA must use again, kept sealed at rest: an API client's webhook
signing secret (Standard Webhooks: ``whsec_`` + base64 of 24 random bytes).

A token is only ever compared, so it is hashed; a signing secret must sign, so
it is encrypted instead (Fernet: AES-128-CBC with an HMAC-SHA256 tag) under a
key derived from SECRET_KEY with HKDF, for this one purpose. A copy of the
database alone (a backup, a replica, a leaked dump) does not give anyone the
power to sign as SPOA. The secret is shown once, when issued, and never
logged, recorded in the audit, or put in any answer after that.

Replacing SECRET_KEY makes the sealed secrets unreadable: their deliveries then
fail with "signing secret unreadable" (and a supervisor is alerted), and each
client needs a new secret.
"""
import base64
import secrets

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

WEBHOOK_SECRET_PREFIX = "whsec_"
_PURPOSE = b"spoa api client webhook signing secret v1"


class Unreadable(Exception):
    """Sealed under another SECRET_KEY (or altered)."""


def _fernet() -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PURPOSE).derive(
        current_app.config["SECRET_KEY"].encode())
    return Fernet(base64.urlsafe_b64encode(key))


def new_webhook_secret() -> str:
    return WEBHOOK_SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def seal(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def unseal(sealed: str) -> str:
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except InvalidToken:
        raise Unreadable("signing secret unreadable (sealed under another SECRET_KEY)") from None
