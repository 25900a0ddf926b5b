"""One listener per web process: it hears the queue channel, renders each changed
row once from the database, and hands the result to every page open on this
process. Pages do not each subscribe or each render (50 pages, one render).

Freshness without timing: every database read for the queue takes a ticket from
one counter before it starts. A page's snapshot remembers its ticket; an event
read before the snapshot was read says nothing the snapshot does not, so the page
skips it, and nothing older can overwrite something newer.
"""
import itertools
import json
import logging
import queue
import threading
import time

import redis
from flask import current_app

from spoa.extensions import db
from spoa.platform.safe_log import log_unexpected

log = logging.getLogger(__name__)
RESYNC = "resync"  # the listener lost Redis for a while: every page takes a fresh snapshot


def of_app(name: str, render_changes) -> "Broadcaster":
    """This process's broadcaster called ``name`` (made on first use): one per stream
    kind, so the queue's renders and the badges' counts do not make each other's work."""
    app = current_app._get_current_object()
    found = app.extensions.get(name)
    if found is None:
        found = app.extensions[name] = Broadcaster(app, render_changes)
    return found


class Broadcaster:
    def __init__(self, app, render_changes):
        self.app = app
        self.render_changes = render_changes  # (message dict) -> list of (event name, data dict)
        self._pages: set[queue.Queue] = set()
        self._lock = threading.Lock()
        self._tickets = itertools.count(1)
        self._thread: threading.Thread | None = None
        self._subscribed = threading.Event()  # the listener's SUBSCRIBE is confirmed by Redis

    def ticket(self) -> int:
        with self._lock:
            return next(self._tickets)

    def register(self, wait_seconds: float = 2.0) -> queue.Queue:
        """A new page's inbox. Returns once the listener is subscribed (or after
        ``wait_seconds``, Redis being away), so the page's snapshot, taken next, is
        never older than the first change it will hear of: a change committed
        between the two would otherwise reach neither."""
        inbox: queue.Queue = queue.Queue(maxsize=1000)
        with self._lock:
            self._pages.add(inbox)
            if self._thread is None or not self._thread.is_alive():
                self._subscribed = threading.Event()
                self._thread = threading.Thread(target=self._listen, args=(self._subscribed,), daemon=True,
                                                name="live-queue")
                self._thread.start()
            subscribed = self._subscribed
        subscribed.wait(wait_seconds)
        return inbox

    def unregister(self, inbox: queue.Queue) -> None:
        with self._lock:
            self._pages.discard(inbox)

    @property
    def page_count(self) -> int:
        return len(self._pages)

    def _send(self, item) -> None:
        with self._lock:
            pages = list(self._pages)
        for inbox in pages:
            try:
                inbox.put_nowait(item)
            except queue.Full:  # a page that stopped reading: it will resync when it drains
                log.warning("live queue page inbox full; dropping it to a resync")
                with inbox.mutex:
                    inbox.queue.clear()
                inbox.put_nowait((0, RESYNC, None))

    def _listen(self, subscribed: threading.Event) -> None:
        url = self.app.config["REDIS_URL"]
        channel = self.app.config["LIVE_CHANNEL"]
        backoff, lost = 0.5, False
        while True:
            try:
                client = redis.Redis.from_url(url, socket_connect_timeout=2, health_check_interval=10,
                                              client_name=f"spoa-live:{channel}")  # findable in CLIENT LIST
                # Subscribe confirmations are read, not ignored: register() waits for the first.
                pubsub = client.pubsub(ignore_subscribe_messages=False)
                pubsub.subscribe(channel)
                if lost:  # whatever happened while we were deaf is in a snapshot, not in events
                    self._send((0, RESYNC, None))
                    lost = False
                backoff = 0.5
                while True:
                    message = pubsub.get_message(timeout=5.0)
                    if message is None:
                        with self._lock:
                            if not self._pages:  # nobody listening here: stop until a page opens
                                self._thread = None
                                pubsub.close()
                                return
                        continue
                    if message["type"] == "subscribe":
                        subscribed.set()
                        continue
                    if message["type"] == "message":
                        self._handle(json.loads(message["data"]))
            except redis.RedisError as exc:
                lost = True
                log.warning("live queue lost Redis (%s); retrying in %.1f s", type(exc).__name__, backoff)
                time.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
            except Exception as exc:  # a bad render must not end live updates for the whole process
                log_unexpected(exc, "the live queue listener (pages resync)")
                self._send((0, RESYNC, None))
                time.sleep(0.5)

    def _handle(self, message: dict) -> None:
        if message.get("resync"):  # its process missed announcing something: a snapshot covers it
            self._send((0, RESYNC, None))
            return
        with self.app.app_context():
            ticket = self.ticket()
            try:
                events = self.render_changes(message)
            finally:
                db.session.remove()  # end the read: on SQLite an open transaction holds the write lock
        for name, data in events:
            self._send((ticket, name, data))
