"""Fixed-window counters in Redis, shared by every web process: the API's
per-client rate and the sign-in page's per-address count of failures. They fail
open (a Redis outage counts nothing), so Redis can never stop intake or sign-in;
what must hold without Redis (an account's locks per address and its slow-down,
the duplicate check's allowance) is kept in the database."""

from spoa.platform.redis_store import optional
from spoa.platform.timekeeping import now


def _key(name: str, who, window_seconds: int) -> str:
    return f"spoa:{name}:{who}:{int(now().timestamp() // window_seconds)}"


def count(name: str, who, window_seconds: int) -> int:
    """The count so far for ``who`` in the current window, not counting this (0 when Redis is down)."""
    key = _key(name, who, window_seconds)
    return optional(lambda r: int(r.get(key) or 0), default=0)


def take(name: str, who, window_seconds: int) -> int:
    """Count one more for ``who`` in the current window: the count so far, this one
    included (0 when Redis is down)."""
    key = _key(name, who, window_seconds)

    def incr(r):
        pipe = r.pipeline()
        pipe.incr(key)
        pipe.expire(key, window_seconds * 2)
        return pipe.execute()[0]

    return optional(incr, default=0)


def retry_after(window_seconds: int) -> int:
    """Seconds until the current window ends."""
    return window_seconds - int(now().timestamp()) % window_seconds
