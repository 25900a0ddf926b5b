"""Migration 0009 on a database with referrals in it: SQLite rebuilds the table,
which must keep every row and every child's foreign key (clocks, audit events),
and afterwards two clients may hold the same reference."""
import uuid

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from spoa import create_app
from spoa.config import TestConfig

NOW = "2026-11-23 10:00:00"


def _referral(conn, client_id, reference):
    rid = uuid.uuid4().hex
    conn.execute(text(
        "INSERT INTO referrals (id, reference, version, source, source_reference, api_client_id, content_hash, "
        "channel, received_at, created_at, updated_at, state, nhs_number_check_failed, given_name, family_name, "
        "date_of_birth, postcode, presenting_need, red_flags, consent) VALUES (:id, :ref, 1, 'gp', :sref, :client, "
        "'h', 'api', :now, :now, :now, 'received', false, 'Ada', 'Lovelace', '1938-03-14', 'NN1 5BD', "
        "'fall_no_injury', '[]', true)"),
        {"id": rid, "ref": "SPOA-" + uuid.uuid4().hex[:6].upper(), "sref": reference, "client": client_id,
         "now": NOW})
    return rid


def test_sqlite_keeps_every_row_and_foreign_key_through_0009(tmp_path, redis_url):
    app = create_app(TestConfig({"DATABASE_URL": f"sqlite:///{tmp_path / 'old.sqlite3'}", "REDIS_URL": redis_url,
                                 "SECRET_KEY": "x", "LIVE_CHANNEL": f"test:{uuid.uuid4().hex}"}))
    from spoa.extensions import db

    with app.app_context():
        upgrade(revision="0007")
        with db.engine.begin() as conn:
            for client_id in (1, 2):
                conn.execute(text("INSERT INTO api_clients (id, name, token_hash, token_hint, is_active, created_at) "
                                  "VALUES (:id, :name, :hash, 'h', true, :now)"),
                             {"id": client_id, "name": f"gp-{client_id}", "hash": uuid.uuid4().hex, "now": NOW})
            rid = _referral(conn, 1, "GP-1")
            conn.execute(text("INSERT INTO clocks (referral_id, name, counts, met_by, started_at, deadline, status, "
                              "escalation_level, created_at) VALUES (:r, 'first_contact', '24/7', '[]', :now, :now, "
                              "'running', 0, :now)"), {"r": rid, "now": NOW})
            conn.execute(text("INSERT INTO audit_events (referral_id, at, actor_kind, actor_name, event) "
                              "VALUES (:r, :now, 'system', 'test', 'receive')"), {"r": rid, "now": NOW})
            with pytest.raises(IntegrityError):  # before 0009: the other client's same reference is refused
                with conn.begin_nested():
                    _referral(conn, 2, "GP-1")
        upgrade()
        with db.engine.begin() as conn:
            assert conn.execute(text("PRAGMA foreign_key_check")).fetchall() == []
            assert conn.execute(text("SELECT count(*) FROM clocks WHERE referral_id = :r"), {"r": rid}).scalar() == 1
            assert conn.execute(text("SELECT count(*) FROM audit_events")).scalar() == 1
            _referral(conn, 2, "GP-1")  # now the second client's own
            with pytest.raises(IntegrityError):
                with conn.begin_nested():
                    _referral(conn, 1, "GP-1")  # but one client cannot reuse its own
        with db.engine.begin() as conn:
            conn.execute(text("DELETE FROM referrals WHERE api_client_id = 2"))
        downgrade(revision="0007")
        upgrade()
        with db.engine.begin() as conn:
            assert conn.execute(text("SELECT count(*) FROM referrals")).scalar() == 1
            assert conn.execute(text("PRAGMA foreign_key_check")).fetchall() == []
        db.engine.dispose()
