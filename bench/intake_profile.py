"""One POST /api/v1/referrals in-process: statements per request, wall ms, and a cProfile.

    .venv/bin/python bench/intake_profile.py [--n 300] [--profile] [--sql]

Through the app's test client, on PostgreSQL (a throw-away database
spoa_bench_profile, dropped at the end) and Redis db 12 (flushed). Statements are
counted with a SQLAlchemy before_cursor_execute listener (an executemany counts
once: it is one statement sent), plus the pool's checkouts and pings.
"""
import sys
from pathlib import Path

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse  # noqa: E402
import collections  # noqa: E402
import cProfile  # noqa: E402
import json  # noqa: E402
import pstats  # noqa: E402
import secrets  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402

import redis  # noqa: E402
from sqlalchemy import event  # noqa: E402

from bench import servers  # noqa: E402
from bench.load import variants  # noqa: E402

PG = "postgresql://postgres@127.0.0.1:5432"
DB_NAME = "spoa_bench_profile"
REDIS_URL = "redis://127.0.0.1:6379/12"


admin = servers.pg_admin  # CREATE/DROP DATABASE, outside a transaction


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=300)
    p.add_argument("--profile", action="store_true")
    p.add_argument("--sql", action="store_true", help="print each statement of one request")
    p.add_argument("--dump", help="with --profile: also write the raw profile here (pstats)")
    args = p.parse_args()
    admin(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    admin(f'CREATE DATABASE "{DB_NAME}"')
    r = redis.Redis.from_url(REDIS_URL)
    r.flushdb()
    try:
        run(args)
    finally:
        admin(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        r.flushdb()


def run(args):
    from flask_migrate import upgrade

    from spoa import create_app
    from spoa.extensions import db
    from spoa.services.api_clients import create_api_client

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"{PG}/{DB_NAME}", "REDIS_URL": REDIS_URL,
                      "SECRET_KEY": secrets.token_hex(16), "API_RATE_LIMIT_PER_MINUTE": 100_000_000})
    with app.app_context():
        upgrade()
        _client, token, _ = create_api_client(name="profile", sources=["emas", "nhs111", "gp"], service=None,
                                              rate_limit_per_minute=100_000_000, by=None)
        db.session.commit()
        engine = db.engine
    statements, pings = [], collections.Counter()
    event.listen(engine, "before_cursor_execute",
                 lambda conn, cur, stmt, params, ctx, many: statements.append((stmt, many)))
    event.listen(engine.pool, "checkout", lambda *a: pings.update(checkout=1))
    received_at = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    bodies = [{**v, "received_at": received_at} for v in variants().values()]
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    n = [0]

    def post():
        n[0] += 1
        body = {**bodies[n[0] % len(bodies)], "source_reference": f"PROF-{n[0]}"}
        resp = client.post("/api/v1/referrals", json=body, headers=headers)
        assert resp.status_code == 201, resp.get_data(as_text=True)

    for _ in range(20):  # warm: pools, caches, first-request imports
        post()
    statements.clear()
    pings.clear()
    per_kind = {}
    for name in variants():
        before = len(statements)
        n[0] = n[0] - n[0] % len(bodies) + len(bodies) + list(variants()).index(name) - 1  # next post is this kind
        post()
        per_kind[name] = statements[before:]
    if args.sql:
        for name, stmts in per_kind.items():
            print(f"--- {name}: {len(stmts)} statements")
            for stmt, many in stmts:
                print(f"   {'many ' if many else ''}{' '.join(stmt.split())[:150]}")
    counts = {name: len(s) for name, s in per_kind.items()}
    statements.clear()
    pings.clear()
    times, cpu0 = [], time.process_time()
    for _ in range(args.n):
        t0 = time.perf_counter()
        post()
        times.append(1000 * (time.perf_counter() - t0))
    cpu_ms = 1000 * (time.process_time() - cpu0) / args.n  # this process only: steadier than wall time
    per_req = len(statements) / args.n
    print(f"statements per request: {per_req:.2f} (by kind: {counts}); pool checkouts per request "
          f"{pings['checkout'] / args.n:.2f}")
    print(f"in-process ms per request: median {statistics.median(times):.2f}, mean {statistics.mean(times):.2f}, "
          f"p90 {sorted(times)[int(0.9 * len(times))]:.2f}; app CPU {cpu_ms:.2f} ms")
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(args.n):
            post()
        prof.disable()
        if args.dump:
            prof.dump_stats(args.dump)
        stats = pstats.Stats(prof)
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(25)
    print(json.dumps({"statements_per_request": per_req, "by_kind": counts,
                      "median_ms": statistics.median(times), "mean_ms": statistics.mean(times),
                      "app_cpu_ms": cpu_ms}))


if __name__ == "__main__":
    main()
