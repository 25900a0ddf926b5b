"""The floor for bench/intake.py: the least a referral endpoint on this stack can do.

One POST endpoint that takes the same JSON body as /api/v1/referrals and does
ONE raw INSERT of it, through a pooled SQLAlchemy engine (as Flask-SQLAlchemy
gives the real app: QueuePool, pool_pre_ping). Run under the same gunicorn
settings as the app, so intake/floor measures what SPOA's own work costs
(auth, validation, rules, clocks, audit) over Flask + gunicorn + PostgreSQL.

    DATABASE_URL=postgresql://... gunicorn bench.floor_app:app
"""
import json
import os

from flask import Flask, jsonify, request
from sqlalchemy import create_engine, text

TABLE_DDL = (
    "CREATE TABLE IF NOT EXISTS bench_floor ("
    " id BIGSERIAL PRIMARY KEY, body JSONB NOT NULL,"
    " created_at TIMESTAMPTZ NOT NULL DEFAULT now())"
)
INSERT = text("INSERT INTO bench_floor (body) VALUES (CAST(:body AS JSONB)) RETURNING id")

# Same pool options as spoa.config (pool_pre_ping) and Flask-SQLAlchemy's pool defaults.
engine = create_engine(os.environ["DATABASE_URL"], pool_pre_ping=True)

with engine.begin() as conn:
    # Every gunicorn worker imports this module; CREATE TABLE IF NOT EXISTS is
    # not race-free in PostgreSQL (duplicate pg_type row), so serialise it.
    conn.execute(text("SELECT pg_advisory_xact_lock(727001)"))
    conn.execute(text(TABLE_DDL))

app = Flask(__name__)


@app.get("/health")
def health():
    return jsonify(status="ok")


@app.post("/api/v1/referrals")
def floor():
    # Parse the JSON as any JSON endpoint must (a malformed body is a 400 here too),
    # then store it: one statement, one commit.
    payload = request.get_json()
    with engine.begin() as conn:
        row_id = conn.execute(INSERT, {"body": json.dumps(payload)}).scalar_one()
    return jsonify(id=row_id), 201
