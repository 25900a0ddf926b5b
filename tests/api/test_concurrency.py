"""Concurrent senders and concurrent actors: the database decides, exactly once."""
import pytest

from spoa.models import AuditEvent, Referral
from tests.support.concurrently import at_once

pytestmark = pytest.mark.both_databases


def test_twenty_identical_posts_at_once_create_exactly_one_referral(app, client, sender, payload, db):
    _, headers = sender
    body = payload()
    responses = at_once(app, 20, lambda c: c.post("/api/v1/referrals", json=body, headers=headers))
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] * 19 + [201]
    assert len({r.get_json()["id"] for r in responses}) == 1
    assert db.session.query(Referral).count() == 1


def test_eight_accepts_at_once_have_exactly_one_winner(app, client, sender, make_api_client, payload, db):
    _, headers = sender
    referral = client.post("/api/v1/referrals", json=payload(), headers=headers).get_json()
    _, token = make_api_client(sources=None, service="crisis_response")
    team = {"Authorization": f"Bearer {token}", "If-Match": f'"{referral["version"]}"'}
    url = f"/api/v1/referrals/{referral['id']}/events"
    responses = at_once(app, 8, lambda c: c.post(url, json={"event": "accept"}, headers=team))
    codes = sorted(r.status_code for r in responses)
    assert codes.count(200) == 1
    assert set(codes) - {200} <= {409, 412}
    db.session.expire_all()
    accepts = db.session.query(AuditEvent).filter_by(event="accept").count()
    assert accepts == 1
