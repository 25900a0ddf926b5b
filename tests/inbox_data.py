"""The inbox's live tests' world (tests/web/test_inbox_live.py, tests/system/browser/test_inbox_badge.py):
clinicians of crisis response, the first on duty as its duty lead now, a sending system,
and a referral whose first contact clock warns as it is stored."""
from datetime import timedelta

from spoa.clocks import now
from spoa.models import ApiClient, DutyShift, User
from tests.people import PASSWORD
from tests.system.browser.test_queue_page import post_referral


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
