"""The process's Redis connection pool, and a breaker that keeps a Redis outage
off the intake path: after a failure, Redis is left alone for a few seconds
instead of costing every request a connect timeout."""
import logging
import time

import redis
from flask import current_app

log = logging.getLogger(__name__)
BREAKER_SECONDS = 5.0


def init_app(app) -> None:
    app.extensions["spoa_redis"] = redis.Redis.from_url(
        app.config["REDIS_URL"], socket_timeout=0.5, socket_connect_timeout=0.5,
        health_check_interval=30,
    )
    app.extensions["spoa_redis_down_until"] = 0.0


def get_redis() -> redis.Redis:
    return current_app.extensions["spoa_redis"]


def optional(action, default=None):
    """Run ``action(redis)`` unless Redis is known to be down; on failure log,
    open the breaker, and return ``default``. For work that fails open."""
    ext = current_app.extensions
    if time.monotonic() < ext["spoa_redis_down_until"]:
        return default
    try:
        return action(ext["spoa_redis"])
    except redis.RedisError as exc:
        ext["spoa_redis_down_until"] = time.monotonic() + BREAKER_SECONDS
        log.warning("redis unavailable, failing open: %s", type(exc).__name__)
        return default
