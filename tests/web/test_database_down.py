"""The database down: the API answers 503 problem+json with
Retry-After, never a 500, and nothing is half-stored; the new-referral form comes
back with everything typed and says it was NOT saved."""
import socket
import time
import uuid

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from spoa import config, create_app
from spoa.models import AuditEvent, Clock, Referral
from spoa.web import login_adapter
from tests.support.data.referral_form import GOOD
from tests.support.signing_in import csrf_token

pytestmark = pytest.mark.both_databases


def closed_port() -> int:
    with socket.socket() as s:  # bound then closed: nothing listens there
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dead_app(redis_url, tmp_path):
    env = {"DATABASE_URL": f"postgresql://spoa@127.0.0.1:{closed_port()}/spoa?connect_timeout=2",
           "REDIS_URL": redis_url, "SECRET_KEY": "tests-" + uuid.uuid4().hex,
           "LIVE_CHANNEL": f"spoa:queue:test:{uuid.uuid4().hex}",
           "DEMO_CREDENTIALS": str(tmp_path / "demo-credentials.json")}
    app = create_app(config.TestConfig(env))
    app.config["WTF_CSRF_ENABLED"] = False  # the token is not what is tested (and needs no database)
    return app


def signed_in(app, user_id=1):
    """A browser holding a valid session cookie for user 1 (no database needed to make one)."""
    from spoa.web import security

    client = app.test_client()
    with client.session_transaction() as session:
        session[login_adapter.SESSION_KEY] = f"{user_id}:a-session-token"  # as User.get_id gives it
        session[security.SIGNED_IN_AT] = session[security.SEEN_AT] = int(time.time())
    return client


def assert_unavailable_problem(response):
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert int(response.headers["Retry-After"]) > 0
    body = response.get_json()
    assert body["status"] == 503 and "not stored" in body["detail"].replace("nothing was stored", "not stored")


def test_the_api_answers_503_with_retry_after_when_the_database_is_unreachable(dead_app, payload):
    client = dead_app.test_client()
    response = client.post("/api/v1/referrals", json=payload(), headers={"Authorization": "Bearer spoa_x"})
    assert_unavailable_problem(response)
    assert_unavailable_problem(client.get("/api/v1/referrals", headers={"Authorization": "Bearer spoa_x"}))


def test_the_form_comes_back_with_what_was_typed_when_even_the_user_cannot_be_loaded(dead_app):
    response = signed_in(dead_app).post("/referrals/new", data={**GOOD, "submission_id": "abc123"})
    page = response.get_data(as_text=True)
    assert response.status_code == 503 and int(response.headers["Retry-After"]) > 0
    assert "NOT been saved" in page and "phone the duty supervisor" in page
    for value in ("Dr A Khan", "943 476 5919", "Lovelace", "1938-03-14", "nn1 5bd", "abc123"):
        assert f'value="{value}"' in page, value  # typed values, and the same submission id for the retry
    assert 'value="fall_no_injury" selected' in page  # chosen again, not merely offered


def test_another_page_says_the_database_is_unreachable_not_something_went_wrong(dead_app):
    response = signed_in(dead_app).get("/queue")
    assert response.status_code == 503 and "cannot reach its database" in response.get_data(as_text=True)


@pytest.fixture
def fail_on_clocks(db):
    """The database drops the connection mid-request: after the referral's INSERT, at the clocks'."""
    engine = db.engine

    def before(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO CLOCKS"):
            # As SQLAlchemy hands the driver's error to the app (raised here, it is not wrapped for us).
            orig = conn.dialect.loaded_dbapi.OperationalError("server closed the connection unexpectedly")
            raise OperationalError(statement, None, orig)

    event.listen(engine, "before_cursor_execute", before)
    yield
    event.remove(engine, "before_cursor_execute", before)


def stored_counts(db):
    db.session.remove()
    return [db.session.scalar(select(func.count()).select_from(m)) for m in (Referral, Clock, AuditEvent)]


def test_a_connection_lost_mid_intake_is_a_503_and_nothing_is_half_stored(client, sender, payload, db,
                                                                          fail_on_clocks):
    _, headers = sender
    before = stored_counts(db)
    response = client.post("/api/v1/referrals", json=payload(), headers=headers)
    assert_unavailable_problem(response)
    assert stored_counts(db) == before


def test_a_connection_lost_mid_form_keeps_the_form_and_stores_nothing(client, login_as, db, fail_on_clocks):
    login_as("call_handler")
    before = stored_counts(db)
    response = client.post("/referrals/new", data={**GOOD, "csrf_token": csrf_token(client, "/referrals/new")})
    page = response.get_data(as_text=True)
    assert response.status_code == 503 and "NOT been saved" in page
    assert 'value="Lovelace"' in page and "Sign out" in page  # still signed in: the user was loaded first
    assert stored_counts(db) == before


def test_a_connection_lost_mid_discharge_form_keeps_the_form_and_stores_nothing(client, login_as, db, fail_on_clocks):
    from tests.support.data.discharge_form import NEW, multi, ward_call

    login_as("call_handler")
    before = stored_counts(db)
    form = multi(ward_call())
    form["csrf_token"] = csrf_token(client, NEW)
    response = client.post(NEW, data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 503 and "NOT been saved" in page
    assert "New hospital discharge referral" in page and 'value="Talbot Butler"' in page
    assert 'name="discharge.needs.equipment" value="commode" checked' in page
    assert stored_counts(db) == before


def test_what_counts_as_the_database_being_down():
    import sqlite3

    from sqlalchemy.exc import ProgrammingError, TimeoutError

    from spoa.platform.database import database_unavailable

    assert database_unavailable(TimeoutError("QueuePool limit of size 5 overflow 10 reached"))  # no connection to give
    assert database_unavailable(OperationalError("SELECT 1", None, sqlite3.OperationalError("database is locked")))
    # Our own bugs stay 500s: a wrong statement (SQLite calls it operational too), a programming error.
    assert not database_unavailable(OperationalError("SELECT x", None, sqlite3.OperationalError("no such table: x")))
    assert not database_unavailable(ProgrammingError("SELECT x", None, Exception("undefined table")))


def test_a_session_holds_a_connection_from_its_first_statement_to_its_end(db):
    # What the header's reads go by (spoa/web/notifications.py): a session only begun (an
    # object added) holds no connection, so the header gives back the one its count took.

    from spoa.models import User
    from spoa.platform.database import holds_a_connection
    from tests.support.people import PASSWORD

    db.session.remove()
    user = User(username="nobody.yet", role="clinician", service="crisis_response")
    user.set_password(PASSWORD)
    db.session.add(user)
    assert db.session().in_transaction() and not holds_a_connection(db.session)
    db.session.scalar(select(func.count(Referral.id)))
    assert holds_a_connection(db.session)
    with db.session.begin_nested():
        db.session.flush()
    assert holds_a_connection(db.session)  # a savepoint's end is not the transaction's
    db.session.rollback()
    assert not holds_a_connection(db.session)
    db.session.scalar(select(func.count(Referral.id)))
    db.session.commit()
    assert not holds_a_connection(db.session)
