"""Migrations 0015 and 0017 on a database with history in it: capacity declarations
come back from their audit events, and clocks and referrals get the route, receipt and
first contact the reports count by."""
import json
import uuid
from datetime import date

import pytest
from flask_migrate import upgrade
from sqlalchemy import text


@pytest.fixture
def old_app(unmigrated_db):
    return unmigrated_db[1]


def _audit(db, at, event, referral_id=None, detail=None):
    db.session.execute(text(
        "INSERT INTO audit_events (referral_id, at, actor_kind, actor_name, event, detail)"
        " VALUES (:r, :at, 'user', 'lead-nurse', :e, :d)"),
        {"r": referral_id, "at": at, "e": event, "d": json.dumps(detail) if detail else None})


def test_0015_recovers_each_capacity_declaration_on_its_uk_day(old_app):
    db = old_app
    upgrade(revision="0014")
    # 23:30 UTC on 24 October is 00:30 BST on the 25th: that UK day's declaration.
    _audit(db, "2026-10-24 23:30:00.000000", "capacity_declared",
           detail={"service": "crisis_response", "before": {"total": None, "in_use": 0},
                   "after": {"total": 12, "in_use": 3}, "via": "page"})
    _audit(db, "2026-10-26 09:00:00.000000", "referral_received")
    db.session.commit()
    upgrade(revision="0015")
    rows = db.session.execute(text("SELECT service_code, day, total, in_use, declared_by, via"
                                   " FROM capacity_declarations")).all()
    # SQLite gives the day as its text, PostgreSQL as a date: compared as text.
    assert [(r[0], str(r[1]), *r[2:]) for r in rows] == [("crisis_response", "2026-10-25", 12, 3, "lead-nurse", "page")]


def test_0017_gives_clocks_their_route_and_receipt_and_referrals_their_first_contact(old_app):
    db = old_app
    upgrade(revision="0016")
    referral = uuid.uuid4().hex
    db.session.execute(text(
        "INSERT INTO referrals (id, reference, version, source, source_reference, content_hash, channel,"
        " received_at, created_at, updated_at, state, route, given_name, family_name, date_of_birth, postcode,"
        " presenting_need, red_flags, consent, nhs_number_check_failed, kind)"
        " VALUES (:id, 'SPOA-1', 1, 'emas', 'x1', 'h', 'api', '2026-11-02 08:00:00.000000',"
        " '2026-11-02 08:00:00.000000', '2026-11-02 08:00:00.000000', 'in_progress', 'crisis_response',"
        " 'A', 'B', :dob, 'NN1 1AA', 'fall_no_injury', '[]', :yes, :no, 'community')"),
        {"id": referral, "dob": date(1940, 1, 1), "yes": True, "no": False})
    db.session.execute(text(
        "INSERT INTO clocks (referral_id, name, counts, met_by, started_at, deadline, status, escalation_level,"
        " created_at) VALUES (:r, 'first_contact', '24/7', '[]', '2026-11-02 08:00:00.000000',"
        " '2026-11-02 10:00:00.000000', 'met', 0, '2026-11-02 08:00:00.000000')"), {"r": referral})
    _audit(db, "2026-11-02 09:40:00.000000", "first_contact", referral)
    _audit(db, "2026-11-02 11:00:00.000000", "first_contact", referral)  # a second one: the first counts
    db.session.commit()
    upgrade(revision="0017")
    clock = db.session.execute(text("SELECT route, received_at FROM clocks")).one()
    # Timestamps are text on SQLite and datetimes on PostgreSQL: compared as text.
    assert clock.route == "crisis_response" and str(clock.received_at).startswith("2026-11-02 08:00:00")
    first = db.session.execute(text("SELECT first_contact_at FROM referrals")).scalar_one()
    assert str(first).startswith("2026-11-02 09:40:00")
