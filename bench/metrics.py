"""How long a /metrics scrape takes as the years of data grow.

Bulk-loads N referrals (each with its rules decision, two clocks, two warnings
and a breach on one in five, a failed delivery attempt on one in fifty) into a
PostgreSQL database of its own, then times scrapes through the test client:
the first with Redis empty (each tally counts its whole table), and the steady
state once the counts are folded into Redis (a scrape then reads the rows of
the last minute or two, and the open work).

    .venv/bin/python -m bench.metrics --referrals 500000 [--pg postgresql://postgres@127.0.0.1:5432/postgres]
"""
import argparse
import statistics
import time
import uuid

from sqlalchemy import create_engine, text

LOAD = [
    """INSERT INTO referrals (id, reference, version, source, source_reference, content_hash, channel,
         received_at, created_at, updated_at, state, route, given_name, family_name, date_of_birth, postcode,
         presenting_need, red_flags, consent, nhs_number_check_failed, kind)
       SELECT md5(i::text)::uuid, 'B' || i, 1, (ARRAY['emas','nhs111','gp'])[1 + i % 3], 'R' || i, md5(i::text), 'api',
         now() - (i || ' minutes')::interval, now() - (i || ' minutes')::interval, now(),
         CASE WHEN i < 2000 THEN 'offered' ELSE 'completed' END,
         (ARRAY['crisis_response','rehab','voluntary_sector'])[1 + i % 3], 'G', 'F', '1940-01-01', 'NN1 1AA',
         'fall_no_injury', '[]', true, false, 'community'
       FROM generate_series(1, :n) AS i""",
    """INSERT INTO triage_decisions (referral_id, kind, rule_id, route, urgency, rules_version, facts, explanation,
         decided_by, created_at)
       SELECT id, 'rules', 'r1', route, 'urgent', 'v1', '{}', 'x', 'system', created_at
       FROM referrals ORDER BY created_at""",
    """INSERT INTO clocks (referral_id, name, counts, met_by, started_at, deadline, status, met_at, escalation_level,
         next_due_at, created_at)
       SELECT r.id, c.name, '24/7', '[]', r.received_at, r.received_at + interval '2 hours',
         CASE WHEN r.state = 'offered' THEN 'running'
              WHEN abs(hashtext(r.reference)) % 5 = 0 THEN 'breached' ELSE 'met' END,
         CASE WHEN r.state = 'offered' OR abs(hashtext(r.reference)) % 5 = 0 THEN NULL
              ELSE r.received_at + interval '1 hour' END,
         0, CASE WHEN r.state = 'offered' THEN r.received_at + interval '90 minutes' END, r.created_at
       FROM referrals r CROSS JOIN (VALUES ('triage'), ('first_contact')) AS c(name) ORDER BY r.created_at""",
    """INSERT INTO clock_effects (clock_id, referral_id, kind, level, due_at, recorded_at)
       SELECT c.id, c.referral_id, e.kind, e.level, c.started_at + e.after, c.started_at + e.after + interval '1 second'
       FROM clocks c CROSS JOIN (VALUES ('warning', 75, interval '90 minutes'), ('warning', 90, interval '108 minutes'),
                                        ('breach', 1, interval '2 hours')) AS e(kind, level, after)
       WHERE c.status = 'breached' AND (e.kind = 'breach' OR c.name = 'first_contact') ORDER BY c.id""",
    """INSERT INTO notifications (effect_id, referral_id, recipient, channel, target, subject, status, attempts,
         created_at)
       SELECT e.id, e.referral_id, 'spoa_supervisor', 'email', 'x@example.org', 's',
         CASE WHEN e.id % 50 = 0 THEN 'failed' ELSE 'delivered' END, 1, e.recorded_at
       FROM clock_effects e WHERE e.kind = 'breach'""",
    """INSERT INTO delivery_attempts (notification_id, at, ok, error)
       SELECT id, created_at, status = 'delivered', CASE WHEN status = 'failed' THEN 'boom' END FROM notifications""",
    "ANALYZE",
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--referrals", type=int, default=100000)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/5")
    parser.add_argument("--db", default="spoa_bench_metrics")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards (to EXPLAIN)")
    args = parser.parse_args()
    admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{args.db}"'))
    url = args.pg.rsplit("/", 1)[0] + f"/{args.db}"

    from flask_migrate import upgrade

    from spoa import create_app
    from spoa.config import TestConfig
    from spoa.extensions import db

    app = create_app(TestConfig({"DATABASE_URL": url, "REDIS_URL": args.redis, "SECRET_KEY": uuid.uuid4().hex}))
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        with db.engine.begin() as conn:
            for statement in LOAD:
                conn.execute(text(statement), {"n": args.referrals})
        print(f"loaded {args.referrals} referrals in {time.perf_counter() - started:.0f} s")
    import redis

    from spoa.metrics import tally

    store = redis.Redis.from_url(args.redis)
    for name in ("received", "effects", "failed_attempts", "met"):
        store.delete(tally.KEY.format(name))
    client = app.test_client()

    def scrape() -> float:
        started = time.perf_counter()
        response = client.get("/metrics")
        assert response.status_code == 200
        return (time.perf_counter() - started) * 1000

    cold = [scrape()]  # Redis empty: whole tables counted
    tally.FOLD_EVERY_SECONDS = 0
    cold += [scrape(), scrape()]  # the two folds
    tally.FOLD_EVERY_SECONDS = 3600  # steady: no fold in the timed scrapes
    steady = [scrape() for _ in range(20)]
    print(f"first scrapes (Redis empty, then the two folds): {', '.join(f'{t:.0f}' for t in cold)} ms")
    print(f"steady scrape: median {statistics.median(steady):.1f} ms, max {max(steady):.1f} ms (20 scrapes)")
    print(client.get("/metrics").get_data(as_text=True).split("spoa_referrals_received_total", 1)[1][:200])
    with app.app_context():
        db.engine.dispose()
    if args.keep:
        print(f"kept {url}")
        return
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
