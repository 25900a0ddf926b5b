"""Helpers for the chasing tests: referrals posted at a chosen time, passes run at another."""
from datetime import UTC, datetime, timedelta

import pytest

from spoa.extensions import db as database
from spoa.models import Clock
from tests.referral_data import full_view

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture
def post_referral(frozen_now, client, sender, payload):
    """post_referral(at=..., **fields) -> the referral posted with the clock at ``at``, in the
    full view (its effects and notifications: the sender's own answer leaves those out)."""
    _, headers = sender

    def post(at=T0, **fields):
        with frozen_now(at):
            response = client.post("/api/v1/referrals", json=payload(**fields), headers=headers)
        assert response.status_code == 201, response.get_json()
        return full_view(response.get_json()["id"])

    return post


@pytest.fixture
def reconcile_at(frozen_now, app):
    """reconcile_at(t): one reconciler pass (advance, schedule, ask for delivery) and
    the delivery pass it asks for (its own job, as a worker would run it next), with the clock at t."""
    from workers.context import use_app
    from workers.jobs import deliver, reconcile

    use_app(app)

    def run(at):
        # The job runs in its own app context and session, as in a worker. The
        # test's session (shared by its requests, unlike production's one per
        # request) is discarded either side: no lock held meanwhile (SQLite),
        # and no stale rows after.
        database.session.remove()
        with frozen_now(at):
            result = reconcile()
            result["delivered"] = deliver()
        database.session.remove()
        return result

    return run


@pytest.fixture
def clock_of(db):
    def get(referral_id, name):
        database.session.expire_all()
        import uuid

        return (database.session.query(Clock).filter_by(referral_id=uuid.UUID(referral_id), name=name)
                .order_by(Clock.id.desc()).first())

    return get


def effects(clock):
    return [(e.kind, e.level) for e in clock.effects]


@pytest.fixture
def get_referral(client, sender):
    """get_referral(id) -> the full view (as staff see it) after the sender's GET succeeds."""
    _, headers = sender

    def get(referral_id):
        assert client.get(f"/api/v1/referrals/{referral_id}", headers=headers).status_code == 200
        return full_view(referral_id)

    return get


def minutes(n):
    return timedelta(minutes=n)
