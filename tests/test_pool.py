"""Pooled connections without a ping on every checkout (spoa/database.py,
_ping_when_idle): one that the database dropped while it sat idle is replaced before
any request uses it; one dropped while busy costs one request a 503, and the pool
then recovers by itself."""
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from spoa import database


def drop_every_connection(app):
    """Every connection to the test database but this one ended by the server, as a
    restart or failover would (the pool still holds them, not knowing)."""
    admin = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
    admin.dispose()


@pytest.fixture
def postgresql_only(db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's connections are files: nothing drops them")
    return db


def listing(http, token):
    return http.get("/api/v1/referrals", headers={"Authorization": f"Bearer {token}"})


def test_a_connection_dropped_while_idle_is_replaced_before_a_request_uses_it(
        app, postgresql_only, make_api_client, monkeypatch):
    _row, token = make_api_client()
    http = app.test_client()
    assert listing(http, token).status_code == 200
    postgresql_only.session.remove()  # every connection back in the pool
    drop_every_connection(app)
    monkeypatch.setattr(database, "IDLE_PING_SECONDS", 0.0)  # every pooled connection counts as idle
    assert listing(http, token).status_code == 200


def test_a_connection_dropped_while_busy_costs_one_503_and_the_pool_recovers(
        app, postgresql_only, make_api_client, monkeypatch):
    _row, token = make_api_client()
    http = app.test_client()
    assert listing(http, token).status_code == 200
    postgresql_only.session.remove()
    drop_every_connection(app)
    monkeypatch.setattr(database, "IDLE_PING_SECONDS", 1e9)  # used moments ago: not pinged
    answer = listing(http, token)
    assert answer.status_code == 503 and answer.mimetype == "application/problem+json"
    postgresql_only.session.remove()
    # The disconnect invalidated every connection the pool held: the next request gets a new one.
    assert listing(http, token).status_code == 200


def test_no_ping_on_every_checkout(app):
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert not options.get("pool_pre_ping") and options["pool_recycle"] == database.POOL_RECYCLE_SECONDS
