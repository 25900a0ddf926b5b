"""A per-client request rate, counted in Redis so it holds across every web
process. It fails open: a Redis outage must never stop referrals coming in."""
import time

from flask import current_app

from ..redis_store import optional
from .problems import Problem

WINDOW_SECONDS = 60


def enforce(client) -> None:
    limit = client.rate_limit_per_minute or current_app.config["API_RATE_LIMIT_PER_MINUTE"]
    window = int(time.time() // WINDOW_SECONDS)
    key = f"spoa:ratelimit:{client.id}:{window}"

    def count(r):
        pipe = r.pipeline()
        pipe.incr(key)
        pipe.expire(key, WINDOW_SECONDS * 2)
        return pipe.execute()[0]

    used = optional(count, default=0)
    if used > limit:
        retry_after = WINDOW_SECONDS - int(time.time()) % WINDOW_SECONDS
        raise Problem(429, f"Over this client's rate of {limit} requests a minute; retry after {retry_after} s.",
                      headers={"Retry-After": str(retry_after)})
