"""Migration 0010 on a database with users in it: each gets a session token of its
own, and usernames are kept in the one form sign-in looks up (Python's case fold,
not SQLite's ASCII-only lower())."""
import pytest
from flask_migrate import upgrade
from sqlalchemy import text


@pytest.fixture
def app_at_0007(unmigrated_db):
    upgrade(revision="0007")
    return unmigrated_db


def _add_user(db, username):
    db.session.execute(text("INSERT INTO users (username, password_hash, role, is_active, failed_logins, created_at) "
                            "VALUES (:u, 'x', 'call_handler', :t, 0, CURRENT_TIMESTAMP)"),
                       {"u": username, "t": True})


def test_0010_gives_every_user_a_token_and_folds_usernames_as_python_does(app_at_0007):
    app, db = app_at_0007
    for name in ("Sam", "\u00c9MILE", "ada"):
        _add_user(db, name)
    db.session.commit()
    upgrade(revision="0010")
    rows = db.session.execute(text("SELECT username, session_token FROM users ORDER BY username")).all()
    assert [r.username for r in rows] == ["ada", "sam", "\u00e9mile"]
    tokens = [r.session_token for r in rows]
    assert all(len(t) >= 40 for t in tokens) and len(set(tokens)) == 3


def test_0010_stops_and_says_so_when_two_usernames_would_become_one(app_at_0007, capsys):
    app, db = app_at_0007
    for name in ("\u00c9mile", "\u00e9mile"):  # SQLite's lower() told them apart; Python's case fold does not
        _add_user(db, name)
    db.session.commit()
    with pytest.raises(SystemExit):  # Flask-Migrate logs the error and exits
        upgrade(revision="0010")
    assert "differ only in case" in capsys.readouterr().err
    db.session.rollback()
    # Stopped before 0010 (the migrations before it may have run): nothing of 0010 applied.
    assert db.session.execute(text("SELECT version_num FROM alembic_version")).scalar() < "0010"
    assert sorted(db.session.execute(text("SELECT username FROM users")).scalars()) == ["\u00c9mile", "\u00e9mile"]
