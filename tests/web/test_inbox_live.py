"""The inbox's live count: committed notifications, new or taken, are
announced with "inbox": true on the queue's channel; /notifications/events sends its
own person's count on each, once a minute, and stops for a user who lost the session."""
import time
import uuid

import pytest

from spoa.models import DutyShift, Notification, User
from spoa.notifications import inbox
from spoa.platform.timekeeping import now
from tests.support.data.inbox_data import crisis_staff, warned_referral
from tests.support.pubsub import next_message, subscribe
from tests.support.signing_in import signed_in_session
from tests.support.sse import EventStream


@pytest.fixture
def world(app, live_server, db, monkeypatch):
    """sam on duty as the crisis response duty lead now, alex not; a sending system's token."""
    monkeypatch.setitem(app.config, "STREAM_RECHECK_SECONDS", 0.3)
    ids, token = crisis_staff(db, "sam", "alex")
    streams = []

    def stream(username):
        found = EventStream(signed_in_session(live_server, username), f"{live_server}/notifications/events")
        streams.append(found)
        return found

    yield token, ids, stream
    for found in streams:
        found.close()


def test_a_notification_made_and_one_taken_are_announced_for_the_badges(app, world, live_server, db):
    token, ids, _ = world
    pubsub = subscribe(app)
    referral = warned_referral(live_server, token)
    message = next_message(pubsub)
    assert message["inbox"] is True and referral["id"] in message["referrals"]
    notification = db.session.query(Notification).filter_by(
        referral_id=uuid.UUID(referral["id"]), channel="in_app").one()
    assert inbox.take(notification, db.session.get(User, ids["sam"]), now()) is True
    assert next_message(pubsub) == {"referrals": [], "capacity": False, "inbox": True,
                                    "committed_at": pytest.approx(time.time(), abs=5)}
    db.session.remove()


def test_each_stream_counts_its_own_person_on_each_change(world, live_server):
    token, _, stream = world
    sam, alex = stream("sam"), stream("alex")
    for found in (sam, alex):
        found.wait_for(lambda n, d: n == "count" and d["count"] == 0)
    warned_referral(live_server, token)
    _, data = sam.wait_for(lambda n, d: n == "count" and d["count"] == 1, timeout=3.0)
    assert data["words"] == "1 notification needs someone"
    counts = lambda: [d["count"] for n, d in alex.events if n == "count"]  # noqa: E731
    alex.wait_for(lambda *_: len(counts()) >= 2, timeout=3.0)
    assert counts() == [0, 0]  # told again, still none for alex


def test_the_count_is_sent_again_each_interval_as_duties_change(app, world, live_server, db, monkeypatch):
    token, ids, stream = world
    monkeypatch.setitem(app.config, "INBOX_COUNT_SECONDS", 0.3)
    warned_referral(live_server, token)
    alex = stream("alex")
    alex.wait_for(lambda n, d: n == "count" and d["count"] == 0)
    # The duty passes to alex (a shift boundary): no notification moves, the count does.
    db.session.query(DutyShift).update({"user_id": ids["alex"]})
    db.session.commit()
    db.session.remove()
    alex.wait_for(lambda n, d: n == "count" and d["count"] == 1, timeout=3.0)


def test_the_stream_closes_for_a_user_deactivated_while_it_is_open(world, db):
    _, ids, stream = world
    sam = stream("sam")
    sam.wait_for(lambda n, d: n == "count")
    db.session.get(User, ids["sam"]).is_active = False
    db.session.commit()
    db.session.remove()
    _, closed = sam.wait_for(lambda n, d: n == "closed", timeout=3.0)
    assert closed["signed_out"] is True and closed["reason"].startswith("Your session has ended")
