"""The per-process cache of API clients (spoa/api/client_cache.py): a request's
caller costs no query, yet a revocation made by another process is refused at once,
and without Redis every request reads its client from the database."""
import socket
import time
import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import event, update

from spoa import config, create_app
from spoa.api import client_cache
from spoa.models import ApiClient
from tests.support.servers import keys_env
from tests.support.statements import statements


def closed_port() -> int:
    with socket.socket() as s:  # bound then closed: nothing listens there
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def another_instance(app, **env):
    """A second SPOA on the same database and Redis: another process, as far as the cache
    knows (its own cache, its own listener), with entries kept an hour unless told."""
    other = create_app(config.TestConfig({
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": app.config["REDIS_URL"],
        **keys_env(app), "LIVE_CHANNEL": app.config["LIVE_CHANNEL"],
        "API_CLIENT_CACHE_SECONDS": "3600", **env}))
    other.test_client_class = app.test_client_class
    return other


@contextmanager
def client_queries(app):
    """The statements ``app`` runs on this thread (its test client's requests) that
    read api_clients, as a list that grows."""
    from spoa.extensions import db

    with app.app_context():
        engine = db.engine
    with statements(engine, where=lambda statement: "FROM api_clients" in statement) as seen:
        yield seen


def wait_until(predicate, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def listing(http, token):
    return http.get("/api/v1/referrals", headers={"Authorization": f"Bearer {token}"}).status_code


def test_a_token_revoked_by_another_process_is_refused_at_once(app, db, make_api_client):
    from spoa.services.api_clients import revoke_api_client

    row, token = make_api_client()
    other = another_instance(app)
    http = other.test_client()
    with client_queries(other) as queries:
        assert listing(http, token) == 200
        cache = other.extensions["spoa_api_client_cache"]
        assert wait_until(cache._live.is_set), "the other instance's listener never subscribed"
        assert listing(http, token) == 200  # now read once and kept
        before = len(queries)
        assert [listing(http, token) for _ in range(3)] == [200] * 3
        assert len(queries) == before, "a cached token still cost a query"

        revoke_api_client(db.session.get(ApiClient, row.id), by=None)  # this instance, as the admin page does
        db.session.commit()
        # Entries live an hour on the other instance: only the announcement can refuse it now.
        assert wait_until(lambda: listing(http, token) == 401, seconds=2.0)


def test_a_client_changed_here_is_read_again_here_at_once(app, db, make_api_client):
    row, token = make_api_client(sources=["gp"])
    http = app.test_client()
    cache = app.extensions["spoa_api_client_cache"]
    assert listing(http, token) == 200
    assert wait_until(cache._live.is_set)
    assert listing(http, token) == 200
    db.session.get(ApiClient, row.id).is_active = False
    db.session.commit()
    assert listing(http, token) == 401  # no waiting for the message: this process drops its own at commit


def test_without_redis_every_request_reads_its_client_from_the_database(app, db, make_api_client):
    row, token = make_api_client()
    other = another_instance(app, REDIS_URL=f"redis://127.0.0.1:{closed_port()}/0")
    http = other.test_client()
    with client_queries(other) as queries:
        assert [listing(http, token) for _ in range(3)] == [200] * 3
        assert len(queries) == 3, "the cache was used with no listener to hear a revocation"
        # A change no session announces (nothing can be heard anyway): still refused at once.
        db.session.execute(update(ApiClient).where(ApiClient.id == row.id).values(is_active=False))
        db.session.commit()
        assert listing(http, token) == 401


def test_an_invalidation_during_a_lookup_keeps_what_it_read_out_of_the_cache(app, db, make_api_client):
    """A lookup that read the row while a revocation was announced must not store the old row."""
    _row, token = make_api_client()
    cache = app.extensions["spoa_api_client_cache"]
    http = app.test_client()
    assert listing(http, token) == 200
    assert wait_until(cache._live.is_set)
    cache.invalidate()
    from spoa.extensions import db as database

    def invalidate_mid_read(*_):
        cache.invalidate()  # as the listener would, between the SELECT and the store

    event.listen(database.engine, "after_cursor_execute", invalidate_mid_read)
    try:
        assert listing(http, token) == 200
    finally:
        event.remove(database.engine, "after_cursor_execute", invalidate_mid_read)
    from spoa.models.user import hash_token

    assert hash_token(token) not in cache._entries


def test_the_channel_is_the_live_channels_own(app):
    assert client_cache.channel(app) == f"{app.config['LIVE_CHANNEL']}:api-clients"


@pytest.mark.parametrize("seconds", ["0"])
def test_no_cache_when_its_bound_is_zero(app, db, make_api_client, seconds):
    _row, token = make_api_client()
    other = another_instance(app, API_CLIENT_CACHE_SECONDS=seconds, LIVE_CHANNEL=f"spoa:t:{uuid.uuid4().hex}")
    http = other.test_client()
    with client_queries(other) as queries:
        assert listing(http, token) == 200
        assert wait_until(other.extensions["spoa_api_client_cache"]._live.is_set)
        assert [listing(http, token) for _ in range(2)] == [200] * 2
        assert len(queries) == 3
