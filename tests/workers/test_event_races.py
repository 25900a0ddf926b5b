"""People's events racing the reconciler on the same referrals: each answer is a
success or a 409, never a 500, and no threshold is recorded twice."""
from datetime import timedelta

import pytest

from spoa.extensions import db as database
from spoa.models import ClockEffect
from tests.support.fixtures.chasing import T0

pytestmark = pytest.mark.both_databases

REFERRALS = 4


def test_events_racing_reconcile_passes_answer_200_or_409(frozen_now, app, post_referral, reconcile_at,
                                                           make_api_client, sender):
    from workers.jobs import reconcile

    ids = [post_referral(at=T0)["id"] for _ in range(REFERRALS)]
    reconcile_at(T0 + timedelta(hours=2, seconds=1))  # all breached, nothing since
    _, team_token = make_api_client(sources=None, service="crisis_response")
    team = {"Authorization": f"Bearer {team_token}"}
    _, referrer = sender
    database.session.remove()  # the test holds no transaction (on SQLite, no lock) meanwhile

    calls = []
    for referral_id in ids:
        events = f"/api/v1/referrals/{referral_id}/events"
        calls += [("post", events, {"event": "acknowledge_escalation", "reason": "Team on the way"}, team)] * 2
        calls += [("post", events, {"event": "add_information", "reason": "Daughter now with her"}, referrer)]
    calls += [("reconcile",)] * 4

    def one(client, call):
        if call[0] == "reconcile":
            reconcile()
            return "reconciled"
        _, url, body, headers = call
        return client.post(url, json=body, headers=headers).status_code

    for when in (timedelta(hours=3), timedelta(hours=4)):  # escalations overdue each round
        with frozen_now(T0 + when):
            answers = _race(app, calls, one)
        assert set(answers) <= {200, 409, "reconciled"}, answers
        assert answers.count("reconciled") == 4
    database.session.remove()
    effects = database.session.query(ClockEffect.clock_id, ClockEffect.kind, ClockEffect.level).all()
    assert len(effects) == len(set(effects))


def _race(app, calls, one):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    barrier = threading.Barrier(len(calls))

    def run(call):
        with app.test_client() as c:
            barrier.wait()
            return one(c, call)

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))
