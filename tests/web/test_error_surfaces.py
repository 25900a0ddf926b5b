"""One set of error handlers (spoa/errors.py), three renderers: whatever goes wrong,
each surface answers in its own format, the request's writes are rolled back, and
the log has one line for it."""
import logging
import uuid

import pytest
from sqlalchemy import exc as sa_exc

from spoa import errors
from spoa.api import auth
from spoa.models import ApiClient
from spoa.notifications import inbox

FHIR_HEADERS = {"Content-Type": "application/fhir+json", "Accept": "application/fhir+json",
                "X-Request-ID": str(uuid.uuid4()), "X-Correlation-ID": str(uuid.uuid4()),
                "Authorization": "Bearer spoa_x"}


def _ask(client, surface):
    if surface == "api":
        return client.get("/api/v1/referrals", headers={"Authorization": "Bearer spoa_x"}, expect_server_error=True)
    if surface == "fhir":
        return client.post("/fhir/$process-message", data=b"{}", headers=FHIR_HEADERS, expect_server_error=True)
    return client.get("/notifications", expect_server_error=True)


def _in_its_format(response, surface, status):
    assert response.status_code == status
    if surface == "api":
        assert response.mimetype == "application/problem+json" and response.get_json()["status"] == status
        return response.get_json()["detail"]
    if surface == "fhir":
        body = response.get_json()
        assert response.mimetype == "application/fhir+json" and body["resourceType"] == "OperationOutcome"
        assert response.headers["X-Request-ID"] == FHIR_HEADERS["X-Request-ID"]
        return body["issue"][0]["diagnostics"]
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


@pytest.fixture
def break_at(monkeypatch, db):
    """break_at(surface, exc): the request adds a row to its session, then ``exc`` is raised."""
    added = []

    def arrange(surface, exc):
        def broken(*_args, **_kwargs):
            row, _token = ApiClient.issue(name=f"half-{uuid.uuid4().hex[:8]}")
            db.session.add(row)
            added.append(row)
            raise exc

        if surface == "page":
            monkeypatch.setattr(inbox, "open_for", broken)
        else:
            monkeypatch.setattr(auth, "_client_from_token", broken)
        return added

    return arrange


@pytest.mark.parametrize("surface", ["api", "fhir", "page"])
def test_our_own_fault_is_rolled_back_and_logged_once_on_every_surface(client, login_as, break_at, db, caplog,
                                                                        surface):
    if surface == "page":
        login_as("supervisor")
    added = break_at(surface, KeyError("a bug"))
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="spoa.errors"):
        words = _in_its_format(_ask(client, surface), surface, 500)
    assert added and added[0] not in db.session  # rolled back: nothing of the request is kept
    assert [r.getMessage().split(":")[0] for r in caplog.records if r.name == "spoa.errors"] == [
        f"unhandled error in {'GET' if surface != 'fhir' else 'POST'} {_path(surface)}"]
    expected = errors.PAGE_UNEXPECTED[0] if surface == "page" else errors.UNEXPECTED
    assert expected in words


def _path(surface):
    return {"api": "/api/v1/referrals", "fhir": "/fhir/$process-message", "page": "/notifications"}[surface]


@pytest.mark.parametrize("surface", ["api", "fhir", "page"])
def test_the_database_away_is_one_line_one_rollback_and_one_set_of_words(client, login_as, break_at, db, caplog,
                                                                         surface):
    if surface == "page":
        login_as("supervisor")
    added = break_at(surface, sa_exc.OperationalError("SELECT 1", {}, ConnectionRefusedError("refused")))
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        response = _ask(client, surface)
        words = _in_its_format(response, surface, 503)
    assert int(response.headers["Retry-After"]) > 0
    assert added and added[0] not in db.session
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert lines == [f"database unavailable during {'GET' if surface != 'fhir' else 'POST'} {_path(surface)}: "
                     "ConnectionRefusedError"]
    assert ("cannot reach its database" if surface == "page" else errors.DATABASE_DOWN) in words


@pytest.mark.parametrize("path, mimetype", [
    ("/queue?x=%00", "text/html"), ("/api/v1/referrals?x=%00", "application/problem+json"),
    ("/fhir/metadata?x=%00", "application/fhir+json")])
def test_a_refusal_raised_before_any_view_is_worded_by_each_surface(client, path, mimetype):
    response = client.get(path, headers={"Accept": "application/fhir+json"} if "fhir" in path else {})
    assert response.status_code == 400 and response.mimetype == mimetype
    assert "NUL character" in response.get_data(as_text=True)
