"""/health tells an operator whether SPOA is taking referrals and chasing clocks."""
from datetime import timedelta

from tests.support.fixtures.chasing import T0


def test_health_reports_database_redis_and_no_lag_when_nothing_is_due(client):
    data = client.get("/health").get_json()
    assert data["database"]["ok"] and data["redis"]["ok"]
    assert data["chase_lag_seconds"] == 0 and data["oldest_due_at"] is None
    assert isinstance(data["workers"], int)


def test_health_shows_the_chase_lag_when_no_worker_has_chased(frozen_now, client, sender, payload):
    _, headers = sender
    with frozen_now(T0):
        client.post("/api/v1/referrals", json=payload(), headers=headers)
    with frozen_now(T0 + timedelta(hours=3)):
        data = client.get("/health").get_json()
    # The first threshold (75% of 2 hours) fell due 90 minutes after receipt.
    assert data["chase_lag_seconds"] == 90 * 60
    assert data["status"] == "degraded"


def test_health_answers_503_when_the_database_is_unreachable(app, client, monkeypatch):
    from spoa.extensions import db

    def broken(*args, **kwargs):
        raise ConnectionError("database down")

    monkeypatch.setattr(db.session, "execute", broken)
    response = client.get("/health")
    assert response.status_code == 503 and not response.get_json()["database"]["ok"]
