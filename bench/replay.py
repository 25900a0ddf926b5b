"""Rules replay throughput: decisions replayed a second, and the memory a replay takes.

    .venv/bin/python bench/replay.py                 # 5,000 decisions on PostgreSQL and SQLite
    .venv/bin/python bench/replay.py --rows 20000 --databases postgresql

Creates a throw-away PostgreSQL database `spoa_replay_bench` (dropped at the end, and
first if an aborted run left it) and a SQLite file in a temp directory; Redis db 13
(flushed before and after). A mix of real referrals is posted through the API (the
intake, rules and triage as they run), then cloned with SQL to --rows referrals spread
over 30 days, each with its rules decision and stored facts; --rederive of them have
their facts removed (decided before migration 0015). The candidate moves rule
ucr-condition to home_rehab. Each replay is timed twice (the best is reported), with
its peak Python memory (tracemalloc) on a third run.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

# The checkout, not bench/ (its queue.py would hide the stdlib's).
sys.path[0] = str(Path(__file__).resolve().parents[1])

PG_ADMIN = os.environ.get("SPOA_BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
DB_NAME = "spoa_replay_bench"
REDIS = "redis://127.0.0.1:6379/13"
MIX = [{}, {"presenting_need": "rehabilitation"}, {"presenting_need": "other"}, {"red_flags": ["chest_pain"]},
       {"presenting_need": "mental_health_crisis"}, {"presenting_need": "personal_care_support"},
       {"presenting_need": "social_support"}]
FIRST = date(2026, 10, 1)


def _pg(statement: str) -> None:
    import psycopg2

    conn = psycopg2.connect(PG_ADMIN)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(statement)
    conn.close()


def _app(url: str):
    from spoa import create_app
    from spoa.config import TestConfig

    return create_app(TestConfig({"DATABASE_URL": url, "REDIS_URL": REDIS, "SECRET_KEY": uuid.uuid4().hex,
                                  "LIVE_CHANNEL": f"spoa:bench:{uuid.uuid4().hex}"}))


def _fill(app, rows: int, rederive: int) -> None:
    from copy import deepcopy

    from flask_migrate import upgrade
    from sqlalchemy import select, text

    from spoa.extensions import db
    from spoa.models import ApiClient, Referral, TriageDecision
    from tests.support.data.referral_data import VALID_REFERRAL

    with app.app_context():
        upgrade()
        client_row, token = ApiClient.issue(name="bench", sources=["emas"], rate_limit_per_minute=100000)
        db.session.add(client_row)
        db.session.commit()
        http = app.test_client()
        for n, fields in enumerate(MIX * 5):
            body = {**deepcopy(VALID_REFERRAL), **fields, "source_reference": f"B-{n}"}
            body.pop("received_at")
            answer = http.post("/api/v1/referrals", json=body, headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 201, answer.get_json()
        referrals = db.session.execute(select(Referral.__table__)).mappings().all()
        decisions = {d["referral_id"]: d for d in db.session.execute(
            select(TriageDecision.__table__).where(TriageDecision.kind == "rules")).mappings()}
        start = datetime.combine(FIRST, datetime.min.time(), tzinfo=UTC)
        step = timedelta(days=30) / rows
        new_referrals, new_decisions = [], []
        for n in range(rows):
            source = referrals[n % len(referrals)]
            rid = uuid.uuid4()
            new_referrals.append({**source, "id": rid, "reference": f"SPOA-{n:07d}"[-11:],
                                  "source_reference": f"C-{n}", "received_at": start + step * n,
                                  "idempotency_key": None})
            decision = {k: v for k, v in decisions[source["id"]].items() if k != "id"}
            inputs = None if n < rederive else decision["inputs"]
            new_decisions.append({**decision, "referral_id": rid, "inputs": inputs})
            if len(new_referrals) == 5000 or n == rows - 1:
                db.session.execute(Referral.__table__.insert(), new_referrals)
                db.session.execute(TriageDecision.__table__.insert(), new_decisions)
                db.session.commit()
                new_referrals, new_decisions = [], []
        # Statistics, as autovacuum keeps them on a live database: without them PostgreSQL
        # plans a freshly bulk-loaded table as empty (a nested loop over every row).
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def _measure(app, candidate_dir: Path) -> dict:
    from spoa.domain.period import Period
    from spoa.replay.candidate import from_directory
    from spoa.replay.run import replay

    policy = from_directory(candidate_dir).policy
    period = Period(FIRST, FIRST + timedelta(days=29))
    with app.app_context():
        times, cpu = [], []
        for _ in range(2):
            began, began_cpu = time.perf_counter(), time.process_time()
            result = replay(policy, period, keep=500)
            times.append(time.perf_counter() - began)
            cpu.append(time.process_time() - began_cpu)
        tracemalloc.start()
        replay(policy, period, keep=500)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    t = result.tally
    best = min(times)
    # cpu: this process's own CPU (not the database's), steadier than the clock on a shared machine.
    return {"replayed": t.replayed, "rederived": t.rederived, "changed": t.changed, "seconds": round(best, 3),
            "decisions_per_second": round(t.replayed / best), "cpu_seconds": round(min(cpu), 3),
            "decisions_per_cpu_second": round(t.replayed / min(cpu)), "peak_python_mb": round(peak / 2**20, 1),
            "load_average": os.getloadavg()[0]}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--rederive", type=int, default=0, help="of them, decided before their facts were stored")
    parser.add_argument("--databases", default="postgresql,sqlite")
    args = parser.parse_args()
    import redis

    from tests.support.data.replay_data import policy_copy

    redis.Redis.from_url(REDIS).flushdb()
    temp = Path(tempfile.mkdtemp(prefix="spoa-replay-bench-"))
    candidate = policy_copy(temp / "candidate")
    found = {}
    try:
        for database in args.databases.split(","):
            if database == "postgresql":
                _pg(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
                _pg(f'CREATE DATABASE "{DB_NAME}"')
                url = PG_ADMIN.rsplit("/", 1)[0] + f"/{DB_NAME}"
            else:
                url = f"sqlite:///{temp / 'replay.sqlite3'}"
            app = _app(url)
            began = time.perf_counter()
            _fill(app, args.rows, args.rederive)
            filled = time.perf_counter() - began
            found[database] = {**_measure(app, candidate), "fill_seconds": round(filled, 1)}
            with app.app_context():
                from spoa.extensions import db
                db.engine.dispose()
            print(f"{database}: {found[database]}", file=sys.stderr)
    finally:
        if "postgresql" in args.databases:
            _pg(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        shutil.rmtree(temp, ignore_errors=True)
        redis.Redis.from_url(REDIS).flushdb()
    print(json.dumps(found))


if __name__ == "__main__":
    main()
