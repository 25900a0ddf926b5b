"""API clients by token hash, cached in each process, so a request's caller costs
no query; a revocation (or any change to a client) still reaches every process at once.

Why it is correct across many processes:

- Every commit that changes an ApiClient row through the ORM (the admin page, the
  CLI, a test) is seen by a session hook, as the live queue's changes are
  (spoa/services/announce.py): after the commit this process drops its own cache at
  once, then publishes on the clients channel; every other process's listener
  hears it and drops its cache.
- The cache is used only while this process's listener is subscribed. Redis away,
  the listener not (yet) subscribed, or its connection lost: every request reads
  the client from the database, as without a cache (fail closed). When the listener
  (re)subscribes it drops the cache, since it may have missed messages.
- A lookup that read the database while an invalidation arrived does not store
  what it read (a generation counter), so a revoked client is never put back.
- Entries live at most API_CLIENT_CACHE_SECONDS anyway: a publish lost between a
  commit and a healthy listener (a Redis blip in between) is bounded by that.

What is cached is the row's column values, never an ORM object: each request gets
its own instance, attached to its own session without a query.
"""
import logging
import os
import threading
import time

import redis
from flask import current_app, has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from spoa.extensions import db
from spoa.models import ApiClient
from spoa.platform.redis_store import optional

log = logging.getLogger(__name__)
_CHANGED = "spoa_api_clients_changed"
_COLUMNS = tuple(c.key for c in ApiClient.__table__.columns)
IDLE_SECONDS = 60.0  # no lookups this long: the listener stops (and its connection closes) until the next


def channel(app) -> str:
    # Beside the live queue's channel, so a second SPOA on the same Redis (or a test) has its own.
    return f"{app.config['LIVE_CHANNEL']}:api-clients"


class ClientCache:
    def __init__(self, app):
        self.app = app
        self.seconds = float(app.config["API_CLIENT_CACHE_SECONDS"])
        self._entries: dict[str, tuple[float, dict]] = {}  # token hash -> (expires, column values)
        self._lock = threading.Lock()
        self._generation = 0  # bumped by every invalidation
        self._live = threading.Event()  # the listener is subscribed: the cache may be used
        self._thread: threading.Thread | None = None
        self._pid = None
        self._last_used = time.monotonic()

    # ------------------------------------------------------------ lookups
    def client(self, token_hash: str) -> ApiClient | None:
        """The active client with this token hash, in the request's session, or None."""
        self._last_used = time.monotonic()
        self._ensure_listener()
        if self.seconds > 0 and self._live.is_set():
            with self._lock:
                hit = self._entries.get(token_hash)
                generation = self._generation
            if hit is not None and hit[0] > time.monotonic():
                return self._attach(hit[1])
        else:
            generation = None
        client = db.session.scalar(select(ApiClient).where(
            ApiClient.token_hash == token_hash, ApiClient.is_active.is_(True)))
        if client is not None and generation is not None:
            values = {name: getattr(client, name) for name in _COLUMNS}
            with self._lock:
                # Not if an invalidation came while we read: what we read may be the old row.
                if self._generation == generation and self._live.is_set():
                    self._entries[token_hash] = (time.monotonic() + self.seconds, values)
        return client

    @staticmethod
    def _attach(values: dict) -> ApiClient:
        session = db.session()
        known = session.identity_map.get(identity_key(ApiClient, values["id"]))
        if known is not None:  # this session has the row already (a test's session, a CLI's)
            return known
        client = ApiClient(**values)
        make_transient_to_detached(client)  # a row as stored, not a new one to insert
        session.add(client)  # into this request's session, clean, no query (cheaper than merge)
        return client

    def invalidate(self) -> None:
        with self._lock:
            self._generation += 1
            self._entries.clear()

    # ------------------------------------------------------------ the listener
    def _ensure_listener(self) -> None:
        # Per process: a thread started before a fork (gunicorn --preload) does not survive it.
        if self._pid == os.getpid() and self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._pid == os.getpid() and self._thread is not None and self._thread.is_alive():
                return
            self._pid, self._live = os.getpid(), threading.Event()
            self._entries.clear()
            self._thread = threading.Thread(target=self._listen, args=(self._live,), daemon=True,
                                            name="api-client-cache")
            self._thread.start()

    def _listen(self, live: threading.Event) -> None:
        name, backoff = channel(self.app), 0.5
        while True:
            try:
                client = redis.Redis.from_url(self.app.config["REDIS_URL"], socket_connect_timeout=2,
                                              health_check_interval=5, client_name=f"spoa-clients:{name}")
                pubsub = client.pubsub(ignore_subscribe_messages=False)
                pubsub.subscribe(name)
                backoff = 0.5
                while True:
                    message = pubsub.get_message(timeout=1.0)
                    if message is None:
                        if time.monotonic() - self._last_used > IDLE_SECONDS:
                            live.clear()  # unused (an app built and dropped, as tests do): let go of Redis
                            self.invalidate()
                            pubsub.close()
                            return
                        pubsub.ping()  # a silent connection is found dead within seconds, not never
                        continue
                    if message["type"] == "subscribe":
                        self.invalidate()  # what was missed while deaf is not in the cache
                        live.set()
                    elif message["type"] == "message":
                        self.invalidate()
            except Exception as exc:  # noqa: BLE001  Redis away, or anything else: fail closed, retry
                live.clear()
                self.invalidate()
                log.warning("API client cache lost Redis (%s); reading clients from the database, "
                            "retrying in %.1f s", type(exc).__name__, backoff)
                if time.monotonic() - self._last_used > IDLE_SECONDS:
                    return  # unused: the next lookup starts a listener again
                time.sleep(backoff)
                backoff = min(backoff * 2, 10.0)


def cache() -> ClientCache:
    return current_app.extensions["spoa_api_client_cache"]


# ---------------------------------------------------------------- invalidation on commit
def _collect(session, _flush_context, _instances) -> None:
    if any(isinstance(obj, ApiClient) for obj in (*session.dirty, *session.deleted)):
        session.info[_CHANGED] = True


def _publish(session) -> None:
    if not session.info.pop(_CHANGED, False) or not has_app_context():
        return
    app = current_app._get_current_object()
    app.extensions["spoa_api_client_cache"].invalidate()  # this process: at once, not when the message returns
    # Fails open (logged): other processes' listeners are then likely deaf too, and so
    # bypass their caches; if not, their entries expire within API_CLIENT_CACHE_SECONDS.
    optional(lambda r: r.publish(channel(app), "changed"))


def _forget(session) -> None:
    session.info.pop(_CHANGED, None)


def init_app(app) -> None:
    app.extensions["spoa_api_client_cache"] = ClientCache(app)
    # db.session is one scoped_session for every app in the process: listen once.
    if not event.contains(db.session, "before_flush", _collect):
        event.listen(db.session, "before_flush", _collect)
        event.listen(db.session, "after_commit", _publish)
        event.listen(db.session, "after_rollback", _forget)
