"""The live queue's Redis channel, listened to directly."""
import json
import time

import redis as redis_lib


def subscribe(app):
    pubsub = redis_lib.Redis.from_url(app.config["REDIS_URL"]).pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(app.config["LIVE_CHANNEL"])
    return pubsub


def next_message(pubsub, timeout=3.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = pubsub.get_message(timeout=0.2)
        if message:
            return json.loads(message["data"])
    return None
