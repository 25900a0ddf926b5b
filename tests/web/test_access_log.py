"""The access log is written in the request's one commit (spoa/domain/access.py adds the row,
the surface commits it with its answer): a read leaves exactly one row, a refusal of a
referral that exists one refused row and of one that does not none, a page refused
before any referral is read none; and a commit that fails is a 503 with nothing kept,
never a page or an answer without its row."""
import uuid

import pytest
from sqlalchemy import event
from sqlalchemy import exc as sa_exc

from spoa.models import AccessEvent

pytestmark = pytest.mark.both_databases


@pytest.fixture
def referral_id(client, sender, payload):
    response = client.post("/api/v1/referrals", json=payload(), headers=sender[1])
    assert response.status_code == 201
    return response.get_json()["id"]


def kept(db) -> list[tuple[str, bool]]:
    """The rows committed: what this request's session held and did not commit is let go first."""
    db.session.remove()
    return [(a.via, a.refused) for a in db.session.query(AccessEvent).order_by(AccessEvent.id)]


@pytest.fixture
def commits(db):
    """How many commits the requests made since (the test's own setup is done by then)."""
    made = []

    def count(_session):
        made.append(1)

    event.listen(db.session, "after_commit", count)
    yield made
    event.remove(db.session, "after_commit", count)


def test_a_page_read_is_one_row_in_the_requests_one_commit(client, login_as, referral_id, db, commits):
    login_as("supervisor")
    commits.clear()
    assert client.get(f"/referrals/{referral_id}").status_code == 200
    assert len(commits) == 1
    assert kept(db) == [("page", False)]


def test_an_api_read_is_one_row_in_the_requests_one_commit(client, sender, referral_id, db, commits):
    commits.clear()
    assert client.get(f"/api/v1/referrals/{referral_id}", headers=sender[1]).status_code == 200
    assert len(commits) == 1
    assert kept(db) == [("api", False)]


def test_a_refused_read_is_one_refused_row_and_of_nothing_no_row(client, login_as, referral_id, db):
    login_as("call_handler")  # not theirs: they did not enter it
    assert client.get(f"/referrals/{referral_id}").status_code == 404
    assert client.get(f"/referrals/{uuid.uuid4()}").status_code == 404
    assert kept(db) == [("page", True)]


def test_a_page_refused_before_reading_leaves_no_row(client, login_as, referral_id, db):
    login_as("call_handler")
    assert client.get(f"/queue?selected={referral_id}").status_code == 403
    assert kept(db) == []


@pytest.mark.parametrize("surface", ["page", "api"])
def test_a_commit_that_fails_is_a_503_with_no_row_and_no_answer(client, login_as, sender, referral_id, db, surface):
    if surface == "page":
        login_as("supervisor")

    def connection_lost(_session):
        raise sa_exc.OperationalError("COMMIT", {}, ConnectionResetError("connection lost"))

    event.listen(db.session, "before_commit", connection_lost)
    try:
        response = (client.get(f"/referrals/{referral_id}") if surface == "page" else
                    client.get(f"/api/v1/referrals/{referral_id}", headers=sender[1]))
    finally:
        event.remove(db.session, "before_commit", connection_lost)
    assert response.status_code == 503 and int(response.headers["Retry-After"]) > 0
    assert referral_id not in response.get_data(as_text=True)  # the referral was not shown
    assert kept(db) == []
