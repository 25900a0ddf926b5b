"""Fixed-window counters in Redis, shared by every web process: the API's
per-client rate and the sign-in page's per-address throttle. They fail open (a
Redis outage counts nothing), so Redis can never stop intake or sign-in; what
must hold without Redis (the account lockout) is kept in the database."""

from .clocks import now
from .redis_store import optional


def take(name: str, who, window_seconds: int) -> tuple[int, str]:
    """Count one more for ``who`` in the current window: (the count so far, its key).
    The count is 0 when Redis is down."""
    key = f"spoa:{name}:{who}:{int(now().timestamp() // window_seconds)}"

    def count(r):
        pipe = r.pipeline()
        pipe.incr(key)
        pipe.expire(key, window_seconds * 2)
        return pipe.execute()[0]

    return optional(count, default=0), key


def give_back(key: str) -> None:
    """Uncount one taken with ``take`` (an attempt that turned out not to count)."""
    optional(lambda r: r.decr(key))


def retry_after(window_seconds: int) -> int:
    """Seconds until the current window ends."""
    return window_seconds - int(now().timestamp()) % window_seconds
