"""Pooled connections without a ping on every checkout (spoa/platform/database.py,
_ping_when_idle): one that the database dropped while it sat idle is replaced before
any request uses it; one dropped while busy costs one request a 503, and the pool
then recovers by itself.

Each test serves from an app of its own, its connections named, and the server ends
only those: the shared test app's other connections (a live server's, a stream
listener's, the fixtures') are left alone, so nothing else in the run is cut off and
the pool under test holds exactly what this test put there."""
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from spoa import create_app
from spoa.config import TestConfig
from spoa.platform import database
from tests.support.servers import keys_env

pytestmark = pytest.mark.both_databases


class _NamedConnections(TestConfig):
    def __init__(self, env, name):
        super().__init__(env)
        self.SQLALCHEMY_ENGINE_OPTIONS = {**self.SQLALCHEMY_ENGINE_OPTIONS,
                                          "connect_args": {"application_name": name}}


@pytest.fixture
def own_app(app, db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's connections are files: nothing drops them")
    name = f"spoa-pool-test-{uuid.uuid4().hex[:8]}"
    env = {"DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": app.config["REDIS_URL"],
           **keys_env(app), "LIVE_CHANNEL": app.config["LIVE_CHANNEL"]}
    own = create_app(_NamedConnections(env, name))
    own.test_client_class = app.test_client_class
    yield own, name
    with own.app_context():
        db.engine.dispose()


def drop_every_connection(app, name):
    """Every connection of the app under test ended by the server, as a restart or
    failover would (its pool still holds them, not knowing)."""
    admin = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = current_database() AND application_name = :name"), {"name": name})
    admin.dispose()


def listing(http, token):
    return http.get("/api/v1/referrals", headers={"Authorization": f"Bearer {token}"})


def test_a_connection_dropped_while_idle_is_replaced_before_a_request_uses_it(
        own_app, db, make_api_client, monkeypatch):
    app, name = own_app
    _row, token = make_api_client()
    http = app.test_client()
    assert listing(http, token).status_code == 200
    drop_every_connection(app, name)
    monkeypatch.setattr(database, "IDLE_PING_SECONDS", 0.0)  # every pooled connection counts as idle
    assert listing(http, token).status_code == 200


def test_a_connection_dropped_while_busy_costs_one_503_and_the_pool_recovers(
        own_app, db, make_api_client, monkeypatch):
    app, name = own_app
    _row, token = make_api_client()
    http = app.test_client()
    assert listing(http, token).status_code == 200
    drop_every_connection(app, name)
    monkeypatch.setattr(database, "IDLE_PING_SECONDS", 1e9)  # used moments ago: not pinged
    answer = listing(http, token)
    assert answer.status_code == 503 and answer.mimetype == "application/problem+json"
    # The disconnect invalidated every connection the pool held: the next request gets a new one.
    assert listing(http, token).status_code == 200


def test_no_ping_on_every_checkout(app):
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert not options.get("pool_pre_ping") and options["pool_recycle"] == database.POOL_RECYCLE_SECONDS
