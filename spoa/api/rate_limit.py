"""A per-client request rate, counted in Redis so it holds across every web
process. It fails open: a Redis outage must never stop referrals coming in."""
from flask import current_app

from spoa.platform import throttle
from spoa.platform.problem import Problem

WINDOW_SECONDS = 60


def enforce(client) -> None:
    limit = client.rate_limit_per_minute or current_app.config["API_RATE_LIMIT_PER_MINUTE"]
    used = throttle.take("ratelimit", client.id, WINDOW_SECONDS)
    if used > limit:
        retry_after = throttle.retry_after(WINDOW_SECONDS)
        raise Problem(429, f"Over this client's rate of {limit} requests a minute; retry after {retry_after} s.",
                      headers={"Retry-After": str(retry_after)})
