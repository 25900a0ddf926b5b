"""Secrets SPOA must use again, kept sealed at rest: an API client's webhook
signing secret (Standard Webhooks: ``whsec_`` + base64 of 24 random bytes).

A token is only ever compared, so it is hashed; a signing secret must sign, so
it is encrypted instead (Fernet: AES-128-CBC with an HMAC-SHA256 tag) under a
key derived with HKDF, for this one purpose, from SEAL_KEYS: the first key seals,
every key listed reads (MultiFernet), so a key is rotated by putting a new one
first, running `flask spoa reseal`, then dropping the old one. A copy of the
database alone (a backup, a replica, a leaked dump) does not give anyone the
power to sign as SPOA. The secret is shown once, when issued, and never
logged, recorded in the audit, or put in any answer after that.

Secrets sealed before SEAL_KEYS existed were sealed under a key derived from
SECRET_KEY: those keys (SECRET_KEY and its fallbacks) still read, never seal,
so an upgrade breaks no delivery; `reseal` moves them under SEAL_KEYS. With no
SEAL_KEYS at all (PostgreSQL without the setting) sealing stays under
SECRET_KEY as it always was. A secret no key reads fails its deliveries with
"signing secret unreadable" (and a supervisor is alerted): the client needs a
new secret.
"""
import base64
import secrets
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

WEBHOOK_SECRET_PREFIX = "whsec_"
_PURPOSE = b"spoa api client webhook signing secret v1"


class Unreadable(Exception):
    """Sealed under a key no longer listed (or altered)."""


@lru_cache(maxsize=16)  # every delivery unseals: derive each listed key once, not once a webhook
def _derived(key: str) -> Fernet:
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PURPOSE).derive(key.encode())
    return Fernet(base64.urlsafe_b64encode(raw))


def _keys() -> list[Fernet]:
    """The sealing keys first (the first one seals), then the session keys, which only read."""
    config = current_app.config
    keys = [*config.get("SEAL_KEYS", ()), config["SECRET_KEY"], *config.get("SECRET_KEY_FALLBACKS", ())]
    return [_derived(key) for key in dict.fromkeys(keys)]


def _fernet() -> MultiFernet:
    return MultiFernet(_keys())


def new_webhook_secret() -> str:
    return WEBHOOK_SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def seal(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def unseal(sealed: str) -> str:
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except InvalidToken:
        raise Unreadable("signing secret unreadable (sealed under a key no longer in SEAL_KEYS)") from None


def resealed(sealed: str) -> str | None:
    """The same secret sealed under the current key, or None if it already is
    (MultiFernet.rotate would always write anew: a second run changes nothing)."""
    keys = _keys()
    try:
        keys[0].decrypt(sealed.encode())
        return None
    except InvalidToken:
        pass
    try:
        return MultiFernet(keys).rotate(sealed.encode()).decode()
    except InvalidToken:
        raise Unreadable("signing secret unreadable (sealed under a key no longer in SEAL_KEYS)") from None
