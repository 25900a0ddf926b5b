"""Passwords hashed with the app's own method (scrypt) at a test cost.

The app hashes with werkzeug's scrypt at N=2**15 (32 MB, about 0.3 s a hash on these
machines, more when they are busy): the suite makes some 3,000 hashes and checks, so
that cost alone was most of the web tests' time. Under tests, a hash asked for as
plain "scrypt" is made with N=2**10 instead: the same algorithm, the same code path,
every check a real scrypt check of the stored hash (its parameters are in the hash).
Any other method (a change away from scrypt) passes through untouched.

The app's real cost is pinned by tests that turn this off (the ``real_password_cost``
fixture, tests/conftest.py): tests/web/test_password_cost.py, and the sign-in test that
the check for an unknown username costs what a real user's check costs.
"""
import sys

import werkzeug.security

APP_METHOD = "scrypt"  # what spoa/models/user.py and spoa/services/accounts.py ask for
TEST_METHOD = "scrypt:1024:8:1"  # werkzeug's own spelling: scrypt:N:r:p
REAL = werkzeug.security.generate_password_hash


def generate_at_test_cost(password: str, method: str = APP_METHOD, salt_length: int = 16) -> str:
    return REAL(password, method=TEST_METHOD if method == APP_METHOD else method, salt_length=salt_length)


def _modules_holding(function):
    """Every loaded module of the app that imported ``function`` by name."""
    for name, module in list(sys.modules.items()):
        if name.split(".")[0] in ("spoa", "workers") and getattr(module, "generate_password_hash", None) is function:
            yield module


def use(function) -> None:
    """Put ``function`` wherever werkzeug's generate_password_hash (or the other one) is
    used: werkzeug itself (modules imported later) and every app module that holds it."""
    for holder in (werkzeug.security, *_modules_holding(REAL), *_modules_holding(generate_at_test_cost)):
        holder.generate_password_hash = function
    _forget_dummy_hash()


def _forget_dummy_hash() -> None:
    # spoa/services/accounts.py makes its unknown-username hash once (lru_cache): made
    # at one cost, it must not outlive a switch to the other.
    accounts = sys.modules.get("spoa.services.accounts")
    if accounts is not None:
        accounts._dummy_hash.cache_clear()
