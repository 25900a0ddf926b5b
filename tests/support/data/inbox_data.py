"""The inbox's live tests' world (tests/web/test_inbox_live.py, tests/system/browser/test_inbox_badge.py):
clinicians of crisis response, the first on duty as its duty lead now, a sending system,
and a referral whose first contact clock warns as it is stored."""
import uuid
from datetime import timedelta
from types import SimpleNamespace

from spoa.extensions import db as database
from spoa.models import ApiClient, DutyShift, Notification, User
from spoa.platform.timekeeping import now
from tests.support.data.referral_data import post_referral
from tests.support.fixtures.chasing import T0
from tests.support.people import PASSWORD


def crisis_staff(db, *usernames) -> tuple[dict, str]:
    """({username: id}, a sending system's token); the first username holds the duty lead
    from an hour ago for 12 hours (a notification nobody was named for reaches them)."""
    ids = {}
    for name in usernames:
        user = User(username=name, role="clinician", service="crisis_response")
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.flush()
        ids[name] = user.id
    db.session.add(DutyShift(duty="service_duty_lead", service="crisis_response", user_id=ids[usernames[0]],
                             starts_at=now() - timedelta(hours=1), ends_at=now() + timedelta(hours=11),
                             created_by="test"))
    client, token = ApiClient.issue(name="emas-hub", sources=["emas", "gp"])
    db.session.add(client)
    db.session.commit()
    db.session.remove()
    return ids, token


def warned_referral(live_server, token):
    """Received 100 minutes ago: its 2-hour first contact clock warns as it is stored."""
    return post_referral(live_server, token, received_at=now() - timedelta(minutes=100))


WARNED = T0 + timedelta(minutes=91)          # 75% of first contact's 2 h


WARNED_TWICE = T0 + timedelta(minutes=109)   # 90%


BREACHED = T0 + timedelta(hours=2, seconds=1)


def person(role, username, service=None):
    user = User(username=username, role=role, service=service)
    user.set_password(PASSWORD)
    database.session.add(user)
    database.session.commit()
    # Its id and name only: the chasing passes end the session, and the row with it.
    return SimpleNamespace(id=user.id, username=username)


def in_app(referral_id):
    database.session.expire_all()
    return database.session.query(Notification).filter_by(
        referral_id=uuid.UUID(referral_id), channel="in_app").order_by(Notification.id).all()


def to_person(referral_id, user):
    """The referral's in-app notifications went to ``user`` (as the rota would say)."""
    for n in in_app(referral_id):
        n.user_id = user.id
    database.session.commit()
