"""How changes reach the live queue: announced only after commit, to every
listener, failing open without Redis, and pages resynced after a Redis loss."""
import json
import time
import uuid

import redis as redis_lib

from spoa.live.broadcast import RESYNC, Broadcaster
from spoa.models import Referral
from tests.support.pubsub import next_message, subscribe


def test_a_committed_change_is_announced_and_a_rolled_back_one_is_not(app, client, sender, payload, db):
    pubsub = subscribe(app)
    _, headers = sender
    created = client.post("/api/v1/referrals", json=payload(), headers=headers).get_json()
    message = next_message(pubsub)
    assert message["referrals"] == [created["id"]] and message["committed_at"] <= time.time()
    referral = db.session.get(Referral, uuid.UUID(created["id"]))
    referral.state = "cancelled"
    db.session.flush()
    db.session.rollback()
    assert next_message(pubsub, timeout=1.0) is None


def test_a_referral_is_stored_when_redis_is_down(app, client, sender, payload, db, monkeypatch):
    _, headers = sender
    dead = redis_lib.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2, socket_timeout=0.2)
    monkeypatch.setitem(app.extensions, "spoa_redis", dead)
    response = client.post("/api/v1/referrals", json=payload(), headers=headers)
    assert response.status_code == 201  # rate limit and live announcement both fail open
    assert db.session.query(Referral).count() == 1


def _listeners(redis, channel) -> set[int]:
    """Ids of Redis connections of live-queue listeners subscribed to ``channel``."""
    return {c["id"] for c in redis.client_list() if c["name"] == f"spoa-live:{channel}" and int(c["sub"]) >= 1}


def _wait_for_a_new_listener(redis, channel, before: set[int], timeout=10.0):
    deadline = time.monotonic() + timeout
    while not _listeners(redis, channel) - before:
        assert time.monotonic() < deadline, f"no new listener subscribed to {channel}"
        time.sleep(0.01)


def test_every_page_on_a_process_hears_a_change_and_resyncs_after_losing_redis(app, redis, db):
    rendered = []

    def render(message):
        rendered.append(message)
        return [("row", {"id": i}) for i in message["referrals"]]

    listening = _listeners(redis, app.config["LIVE_CHANNEL"])  # the app's own, from an earlier stream test
    hub = Broadcaster(app, render)
    pages = [hub.register(), hub.register()]
    # This hub's listener subscribed: else the message below would go unheard.
    _wait_for_a_new_listener(redis, app.config["LIVE_CHANNEL"], listening)
    redis.publish(app.config["LIVE_CHANNEL"], json.dumps({"referrals": ["r1"], "capacity": False}))
    for page in pages:
        ticket, name, data = page.get(timeout=3)
        assert (name, data) == ("row", {"id": "r1"})
    assert len(rendered) == 1  # rendered once for both pages
    # The listener's connection drops, as in a Redis restart (only ours: the server is shared).
    # (The app's own listener, if a stream test just ended, may still be subscribed for a few
    # seconds under the same name: drop them all.)
    ours = [c for c in redis.client_list() if c["name"] == f"spoa-live:{app.config['LIVE_CHANNEL']}"]
    assert ours
    for found in ours:
        redis.client_kill_filter(_id=found["id"])
    for page in pages:
        assert page.get(timeout=5)[1] == RESYNC
    for page in pages:
        hub.unregister(page)
    assert hub.page_count == 0


def test_a_change_committed_just_after_a_page_opens_reaches_it(app, redis, db):
    """The first page on a process starts the listener: its snapshot comes only after the
    listener is subscribed, so a change committed a moment later is never missed."""
    channel = f"spoa:queue:test:{uuid.uuid4().hex}"  # a listener of its own, started by this page
    app.config["LIVE_CHANNEL"], before = channel, app.config["LIVE_CHANNEL"]
    try:
        hub = Broadcaster(app, lambda message: [("row", {"id": i}) for i in message["referrals"]])
        page = hub.register()
        redis.publish(channel, json.dumps({"referrals": ["r1"], "capacity": False}))  # no sleep: at once
        assert page.get(timeout=3)[1:] == ("row", {"id": "r1"})
        hub.unregister(page)
    finally:
        app.config["LIVE_CHANNEL"] = before


def test_a_change_not_announced_while_redis_was_away_makes_the_next_announcement_a_resync(
        app, client, sender, payload, db):
    """Redis back, but this process's breaker still open: the referral is stored and not
    announced, and pages (which resynced when their listener got Redis back) would never
    show it. The next announcement that gets through asks every page for a snapshot."""
    pubsub = subscribe(app)
    _, headers = sender
    app.extensions["spoa_redis_down_until"] = time.monotonic() + 60  # the breaker open
    missed = client.post("/api/v1/referrals", json=payload(), headers=headers)
    assert missed.status_code == 201 and next_message(pubsub, timeout=1.0) is None
    app.extensions["spoa_redis_down_until"] = 0.0  # the breaker closes
    later = client.post("/api/v1/referrals", json=payload(), headers=headers).get_json()
    message = next_message(pubsub)
    assert message["resync"] is True and message["referrals"] == [later["id"]]
    client.post("/api/v1/referrals", json=payload(), headers=headers)
    assert "resync" not in next_message(pubsub)  # once: nothing was missed since


def test_a_resync_announcement_sends_every_page_a_snapshot(app, redis, db):
    rendered = []
    hub = Broadcaster(app, lambda message: rendered.append(message) or [])
    page = hub.register()
    redis.publish(app.config["LIVE_CHANNEL"], json.dumps({"referrals": ["r1"], "capacity": False, "resync": True}))
    assert page.get(timeout=3)[1] == RESYNC
    assert rendered == []  # the snapshot covers the change: nothing rendered for it
    hub.unregister(page)
