"""Fixtures: app tests run on PostgreSQL (production's database), with the schema
built by the migrations, against a real Redis on a db number of its own. Tests whose
subject is the database (SQL, constraints, locks, migrations: the ``both_databases``
marker, on a module or in BOTH_DATABASES_DIRS) run on SQLite too, as the demo and a
laptop use it; ``--all-databases`` (scripts/test --all-databases) runs every test on both.

On a machine without PostgreSQL the PostgreSQL runs skip with a message and every
test runs on SQLite; under CI (CI=true) a missing PostgreSQL or Redis fails the run instead.
"""
import os
import uuid
from copy import deepcopy

import pytest
import redis as redis_lib
import time_machine
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from spoa import create_app
from spoa.config import TestConfig
from tests.support import password_cost
from tests.support.data.referral_data import VALID_REFERRAL
from tests.support.people import PASSWORD
from tests.support.servers import serve_in_background
from tests.support.signing_in import sign_in

# Fixtures that tests in several folders use (the chasing passes, senders with callbacks,
# BaRS receivers, discharges and their rows, replay's repositories), as plugins: found by
# every test, imported by none.
pytest_plugins = [
    "tests.support.fixtures.chasing", "tests.support.fixtures.outcomes", "tests.support.fixtures.bars",
    "tests.support.data.discharges", "tests.support.data.discharge_rows", "tests.support.data.replay_data",
    "tests.support.fixtures.streams",
]

# scrypt at a test cost (tests/support/password_cost.py says why, and what pins the real one).
password_cost.use(password_cost.generate_at_test_cost)

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PG_ADMIN_URL = os.environ.get("SPOA_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
# pytest-xdist runs the suite in several processes (scripts/test: two lanes at once, each
# of several): each has a PostgreSQL database and a Redis db of its own, so none empties what
# another is using. A lane's processes are numbered from SPOA_TEST_WORKER_OFFSET.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1", ... ("" without xdist)
_WORKER_N = (int(_WORKER[2:]) + int(os.environ.get("SPOA_TEST_WORKER_OFFSET", "0"))
             if _WORKER.startswith("gw") else 0)
_PG_BASE = os.environ.get("SPOA_TEST_PG_DB", "spoa_test")
PG_TEST_DB = _PG_BASE + (f"_gw{_WORKER_N}" if _WORKER else "")
_REDIS_BASE = os.environ.get("SPOA_TEST_REDIS", "redis://127.0.0.1:6379/8")
REDIS_TEST_URL = (_REDIS_BASE.rsplit("/", 1)[0] + f"/{int(_REDIS_BASE.rsplit('/', 1)[1]) + _WORKER_N}"
                  if _WORKER_N else _REDIS_BASE)
# Folders (under tests/) whose every test depends on the database it runs on.
BOTH_DATABASES_DIRS = ("migrations", "reports")


def pytest_addoption(parser):
    parser.addoption("--all-databases", action="store_true", default=False,
                     help="run every app test on SQLite and PostgreSQL, not only those marked both_databases")


def _postgres_reachable() -> bool:
    import psycopg2

    try:
        psycopg2.connect(PG_ADMIN_URL, connect_timeout=3).close()
    except psycopg2.OperationalError:
        return False
    return True


def pytest_collection_modifyitems(config, items):
    """Deselect the SQLite run of each test not marked both_databases. The `app` fixture
    keeps both params (rather than a per-test parametrization) so that pytest orders
    tests by database and each process builds each database once."""
    tests_dir = config.rootpath / "tests"
    for item in items:
        parts = item.path.relative_to(tests_dir).parts if item.path.is_relative_to(tests_dir) else ()
        if len(parts) > 1 and parts[0] in BOTH_DATABASES_DIRS:
            item.add_marker(pytest.mark.both_databases)
    # Without PostgreSQL (a laptop) the SQLite runs are all there is; under CI its absence fails.
    if config.getoption("--all-databases") or not (IN_CI or _postgres_reachable()):
        return
    keep, once = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_sqlite = callspec is not None and callspec.params.get("app") == "sqlite"
        (once if on_sqlite and item.get_closest_marker("both_databases") is None else keep).append(item)
    if once:
        config.hook.pytest_deselected(items=once)
        items[:] = keep


def _unavailable(what: str, exc: Exception):
    message = f"{what} is not reachable ({type(exc).__name__}: {exc})"
    if IN_CI:
        pytest.fail(f"{message}; under CI this is a failure, not a skip", pytrace=False)
    pytest.skip(message)


def _admin_connection():
    import psycopg2

    try:
        conn = psycopg2.connect(PG_ADMIN_URL, connect_timeout=3)
    except psycopg2.OperationalError as exc:
        _unavailable("PostgreSQL", exc)
    conn.autocommit = True
    return conn


def _url_of(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def _postgres_url(name: str = PG_TEST_DB, template: str | None = None) -> str:
    """A new PostgreSQL database called ``name`` (dropped first if it is there): empty, or a
    copy of ``template``."""
    conn = _admin_connection()
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    conn.close()
    return _url_of(name)


def _migrated(url: str) -> None:
    """The schema built in ``url`` by the migrations, as deployment builds it."""
    from flask_migrate import upgrade

    from spoa.extensions import db

    key = "migrating-" + uuid.uuid4().hex
    app = create_app(TestConfig({"DATABASE_URL": url, "SECRET_KEY": key, "SEAL_KEYS": key,
                                 "EXTRACT_PSEUDONYM_KEY": key, "REDIS_URL": REDIS_TEST_URL}))
    with app.app_context():
        upgrade()
        db.engine.dispose()  # a template must have no connections when it is copied


def _migrated_postgres() -> str:
    """This process's PostgreSQL database, migrated. Under xdist the processes of one run
    (and lane) migrate one template database once, whoever comes first, and each copies it
    (CREATE DATABASE ... TEMPLATE: a file copy, not two dozen migrations per process)."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if not run:
        url = _postgres_url()
        _migrated(url)
        return url
    template = f"{_PG_BASE}_template{os.environ.get('SPOA_TEST_WORKER_OFFSET', '0')}"
    conn = _admin_connection()
    with conn.cursor() as cur:
        # One process at a time past here: the first builds the template, the rest find it.
        cur.execute("SELECT pg_advisory_lock(hashtext(%s))", (template,))
        try:
            cur.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                        (template,))
            found = cur.fetchone()
            if found is None or found[0] != run:  # none yet, or an earlier run's
                _migrated(_postgres_url(template))
                cur.execute(f'COMMENT ON DATABASE "{template}" IS %s', (run,))
            url = _postgres_url(template=template)
        finally:
            cur.execute("SELECT pg_advisory_unlock(hashtext(%s))", (template,))
    conn.close()
    return url


@pytest.fixture
def empty_postgres():
    """The URL of a new, empty PostgreSQL database of this process's own, for a test that
    builds its schema step by step (the migration tests)."""
    return _postgres_url(f"{PG_TEST_DB}_empty")


class NoServerErrors(FlaskClient):
    """A test client for which a 5xx (but 503, "the database is down", which tests provoke)
    is a failure wherever it happens: an assertion like ``x not in page`` cannot pass on an
    error page. A test that provokes one on purpose says so: ``expect_server_error=True``."""

    def open(self, *args, expect_server_error=False, **kwargs):
        response = super().open(*args, **kwargs)
        if response.status_code >= 500 and response.status_code != 503 and not expect_server_error:
            raise AssertionError(f"the app answered {response.status_code}: "
                                 f"{response.get_data(as_text=True)[:300]}")
        return response


@pytest.fixture
def real_password_cost():
    """Passwords hashed at the app's own cost in this test (ask for it before any fixture
    that makes a user)."""
    password_cost.use(password_cost.REAL)
    yield
    password_cost.use(password_cost.generate_at_test_cost)


@pytest.fixture(scope="session")
def redis_url():
    try:
        redis_lib.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=2).ping()
    except redis_lib.RedisError as exc:
        _unavailable("Redis", exc)
    return REDIS_TEST_URL


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def app(request, tmp_path_factory, redis_url):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'spoa.sqlite3'}"
    else:
        url = _migrated_postgres()
    env = {"DATABASE_URL": url, "REDIS_URL": redis_url, "SECRET_KEY": "tests-" + uuid.uuid4().hex,
           "SEAL_KEYS": "seal-" + uuid.uuid4().hex, "EXTRACT_PSEUDONYM_KEY": "pseudonyms-" + uuid.uuid4().hex,
           "LIVE_CHANNEL": f"spoa:queue:test:{uuid.uuid4().hex}",  # pub/sub ignores db numbers
           "DEMO_CREDENTIALS": str(tmp_path_factory.mktemp("instance") / "demo-credentials.json")}
    app = create_app(TestConfig(env))
    app.test_client_class = NoServerErrors
    if request.param == "sqlite":
        from flask_migrate import upgrade

        with app.app_context():
            upgrade()
    yield app
    from spoa.extensions import db

    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def db(app):
    """The app's database, emptied after the test (tests commit for real, as the app does)."""
    from spoa.extensions import db as database

    with app.app_context():
        yield database
        database.session.remove()
        # Every table the models describe, children first: a new table cannot escape.
        # (Not a rolled-back outer transaction: tests run real servers, worker processes
        # and concurrent writers, which must see each other's commits, as in production.)
        with database.engine.begin() as conn:
            for table in reversed(database.metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.fixture
def redis(app):
    r = redis_lib.Redis.from_url(app.config["REDIS_URL"])
    r.flushdb()  # this process's own test db (REDIS_TEST_URL)
    app.extensions["spoa_redis_down_until"] = 0.0
    yield r
    r.flushdb()


@pytest.fixture
def client(app, db, redis):
    return app.test_client()


@pytest.fixture
def login_as(client, db):
    """login_as(role, service=None, username=None, hospital=None) -> a new user, whom ``client``
    is now signed in as (through the sign-in form)."""
    from spoa.models import User

    def sign_in_as(role, service=None, username=None, hospital=None):
        user = User(username=username or role, role=role, service=service, hospital_ods=hospital)
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
        assert sign_in(client, user.username).status_code == 302
        return user

    return sign_in_as


@pytest.fixture
def make_api_client(db):
    """make_api_client(sources=["emas"], service=None, scopes=None) -> (client row, token)."""
    from spoa.models import ApiClient

    def make(sources=("emas", "nhs111", "gp"), service=None, rate=None, name=None, hospital=None, scopes=None):
        row, token = ApiClient.issue(
            name=name or f"client-{uuid.uuid4().hex[:8]}", sources=list(sources) if sources else None,
            service=service, rate_limit_per_minute=rate, hospital_ods=hospital, scopes=scopes)
        db.session.add(row)
        db.session.commit()
        return row, token

    return make


@pytest.fixture
def sender(make_api_client):
    """An ambulance/111/GP sending system: (client row, Authorization headers)."""
    row, token = make_api_client()
    return row, {"Authorization": f"Bearer {token}"}


@pytest.fixture
def hospital_sender(make_api_client):
    """Northampton General's own system (RNS01): (client row, Authorization headers)."""
    row, token = make_api_client(sources=("acute", "community_hospital"), hospital="RNS01", name="ngh-epr")
    return row, {"Authorization": f"Bearer {token}"}



@pytest.fixture
def payload():
    """payload(**overrides) -> a valid intake body (a fresh source_reference each call)."""

    def make(**overrides):
        body = deepcopy(VALID_REFERRAL)
        body["source_reference"] = f"EMAS-{uuid.uuid4().hex[:12]}"
        body.pop("received_at")
        for key, value in overrides.items():
            body[key] = value
        return body

    return make


class _Frozen:
    """One frozen instant: ``with frozen_now(at) as clock:`` (``clock.move_to(later)``), or
    just ``frozen_now(at)``, frozen until the test ends."""

    def __init__(self, traveller, running):
        self._traveller, self._running = traveller, running
        self.coordinates = traveller.start()
        running.append(self)

    def move_to(self, at):
        self.coordinates.move_to(at)

    def stop(self):
        if self in self._running:
            self._running.remove(self)
            self._traveller.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


@pytest.fixture
def frozen_now():
    """frozen_now(at): the app's now() (spoa/platform/timekeeping.py), and every other clock, is ``at``
    and stands still, for the ``with`` block or until the test ends."""
    running = []
    yield lambda at: _Frozen(time_machine.travel(at, tick=False), running)
    for frozen in reversed(list(running)):
        frozen.stop()


@pytest.fixture
def live_server(app, db, redis):
    """The app served over HTTP on 127.0.0.1 (each request in its own app context,
    as under gunicorn). Yields the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    serve_in_background(server)
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
