"""Cost flat as data grows: the same pages with 1,000 and with 1,000,000 stored referrals.

    .venv/bin/python bench/growth.py                 # 1,000 then 1,000,000 stored referrals
    .venv/bin/python bench/growth.py --small         # 1,000 then 50,000: a quick run while developing
    .venv/bin/python bench/growth.py --explain       # ... and EXPLAIN (ANALYZE, BUFFERS) of every page's queries

One PostgreSQL database (spoa_growth_bench, migrated by `flask db upgrade`) grows
from the first size to the second. The history is written in bulk by SQL inside
PostgreSQL (bench/reports_data.py: a year of referrals with their triage
decisions, clocks, audit events and delayed days), keeping only the referrals
closed by now (generated, then dropped before any row is written): completed,
cancelled, withdrawn, redirected, their clocks met or cancelled. Its clocks' warnings and breaches
get their effects and notifications (in-app, and an email copy of each breach;
most never taken, as a met clock leaves them). The open set is the same at both
sizes: --open referrals through the real intake service, received over the last
90 minutes, before the first size is timed.

At each size, in this process through the app (Flask's test client, so the
figure is the server's work without a network), medians of --reps:
  intake        POST /api/v1/referrals (JSON API, a new patient each time)
  worklist      GET /worklist as a crisis-response clinician
  referral      GET /referrals/<id> as a supervisor (an open referral)
  referral_api  GET /api/v1/referrals/<id> as the sending system
  queue         GET /queue as a supervisor (the first render)
Target: each at the second size <= 1.3x its figure at the first.

--explain captures each page's statements (a SQLAlchemy event on the app's
engine, during one request) and prints EXPLAIN (ANALYZE, BUFFERS) of each at the
first and last sizes, in a transaction rolled back. --keep leaves the database;
--reuse times it again (after a change to the app) with --baseline, an earlier
run's JSON, for the ratios. Uses Redis db 13 (flushed before and
after; nothing else is touched).
"""
import sys
from pathlib import Path

# Run as a script, bench/ is on the path and bench/queue.py would shadow the
# standard library's queue: take bench/ off, put the repo on.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse  # noqa: E402
import copy  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402

import psycopg2  # noqa: E402
import redis  # noqa: E402

from bench import servers  # noqa: E402

PG = "postgresql://postgres@127.0.0.1:5432"
DB_NAME = "spoa_growth_bench"
REDIS_URL = "redis://127.0.0.1:6379/13"
TARGET_RATIO = 1.3
PASSWORD = "a long bench password"  # noqa: S105 (a throw-away database)
SUPERVISOR, CLINICIAN, SERVICE = "bench-supervisor", "bench-crisis", "crisis_response"
PAGES = ("intake", "worklist", "referral", "referral_api", "queue")
START = time.time()


def say(message):
    print(f"[{time.time() - START:6.1f} s] {message}", flush=True)


def env() -> dict:
    return {**os.environ, "DATABASE_URL": f"{PG}/{DB_NAME}", "REDIS_URL": REDIS_URL,
            "SECRET_KEY": "bench-growth-" + "0" * 40, "LIVE_CHANNEL": "spoa:queue:bench-growth",
            "SESSION_IDLE_MINUTES": "600", "API_RATE_LIMIT_PER_MINUTE": "1000000", "LOG_FORMAT": "text"}


admin = servers.pg_admin  # CREATE/DROP DATABASE, outside a transaction


def nhs_number(rng) -> str:
    """A random NHS number with a valid check digit (modulus 11)."""
    while True:
        digits = [rng.randint(0, 9) for _ in range(9)]
        check = 11 - sum(d * (10 - i) for i, d in enumerate(digits)) % 11
        if check == 11:
            check = 0
        if check != 10:
            return "".join(map(str, digits)) + str(check)


def patient_body(rng, body: dict, tag: str) -> dict:
    """``body`` for a patient of its own (number, name, birthday, postcode)."""
    body = copy.deepcopy(body)
    body["patient"].update(nhs_number=nhs_number(rng), family_name=f"Growth{tag}",
                           date_of_birth=f"19{rng.randint(25, 60)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                           postcode=f"NN{rng.randint(1, 18)} {rng.randint(1, 9)}AB")
    body["source_reference"] = f"GROWTH-{tag}"
    return body


# ------------------------------------------------------------------ the data
# The history's chasing, as chasing.advance leaves it: a 75% warning where the
# clock ran past three quarters of its window (one in four of them, so about one
# notification a referral), a breach where it was breached;
# each an in-app notification to the route's duty lead (a breach also an email);
# about a third taken ("I have it"), the rest left when the clock was met.
EFFECTS = """
INSERT INTO clock_effects (clock_id, referral_id, kind, level, due_at, recorded_at)
SELECT c.id, c.referral_id, 'warning', 75, c.started_at + (c.deadline - c.started_at) * 0.75,
       c.started_at + (c.deadline - c.started_at) * 0.75 + interval '1 second'
FROM clocks c
WHERE c.id > %(after)s
  AND c.started_at + (c.deadline - c.started_at) * 0.75 < coalesce(c.met_at, c.cancelled_at, %(now)s)
  AND c.id %% 4 = 0
UNION ALL
SELECT c.id, c.referral_id, 'breach', 1, c.deadline, c.breached_at
FROM clocks c WHERE c.id > %(after)s AND c.breached_at IS NOT NULL
ORDER BY 6
"""
NOTIFICATIONS = """
INSERT INTO notifications (effect_id, referral_id, recipient, channel, target, subject, status, attempts,
    next_attempt_at, created_at, delivered_at, taken_at)
SELECT e.id, e.referral_id, 'service_duty_lead:' || coalesce(c.route, 'crisis_response'), ch.channel,
       CASE ch.channel WHEN 'email' THEN 'duty@bench.invalid' END,
       'SPOA-B: ' || c.name || CASE e.kind WHEN 'breach' THEN ' clock breached' ELSE ' clock 75%% of its time gone' END,
       'delivered', CASE ch.channel WHEN 'email' THEN 1 ELSE 0 END, NULL, e.recorded_at, e.recorded_at,
       CASE WHEN ch.channel = 'in_app' AND e.id %% 3 = 0 THEN e.recorded_at + interval '10 minutes' END
FROM clock_effects e JOIN clocks c ON c.id = e.clock_id
CROSS JOIN (VALUES ('in_app'), ('email')) AS ch(channel)
WHERE e.id > %(after_effect)s AND (ch.channel = 'in_app' OR e.kind = 'breach')
ORDER BY e.recorded_at
"""


def grow_history(app, n_new: int, start: int, now: datetime) -> dict:
    """Add ``n_new`` closed referrals to the history (ids from ``start``); returns timings."""
    from bench import reports_data
    conn = psycopg2.connect(f"{PG}/{DB_NAME}", application_name="spoa_bench_growth_load")
    started = time.perf_counter()
    with conn.cursor() as cur:
        cur.execute("SELECT coalesce(max(id), 0) FROM clocks")
        after = cur.fetchone()[0]
        cur.execute("SELECT coalesce(max(id), 0) FROM clock_effects")
        after_effect = cur.fetchone()[0]
    conn.commit()
    # About 8% of a year's referrals are still open at its end: load more, drop those
    # (and any excess), so exactly n_new closed ones are added.
    loaded = reports_data.load(conn, app, int(n_new * 1.12) + 30, 365, now, say=lambda m: say("  " + m),
                               start=start, closed_only=n_new)
    with conn.cursor() as cur:
        cur.execute("SET synchronous_commit = off")
        cur.execute("SET maintenance_work_mem = '512MB'")
        cur.execute("SELECT count(*) FROM referrals WHERE source_reference LIKE 'BENCH-%%' "
                    "AND substr(source_reference, 7)::int >= %s", (start,))
        added = cur.fetchone()[0]
        if added != n_new:
            raise RuntimeError(f"the history load added {added} closed referrals, not {n_new}")
        # As reports_data does for its tables: an index built once is cheaper than kept up row by row.
        indexes = reports_data.drop_plain_indexes(cur, ("clock_effects", "notifications"))
        cur.execute(EFFECTS, {"after": after, "now": now})
        effects = cur.rowcount
        cur.execute(NOTIFICATIONS, {"after_effect": after_effect})
        notifications = cur.rowcount
        for definition in indexes:
            cur.execute(definition)
        conn.commit()
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("VACUUM ANALYZE clock_effects, notifications")
    conn.close()
    seconds = round(time.perf_counter() - started, 1)
    say(f"  history +{n_new:,} closed, {effects:,} clock effects, "
        f"{notifications:,} notifications, in {seconds} s")
    return {"seconds": seconds, "next_start": start + int(n_new * 1.12) + 30,
            "load_seconds": loaded["seconds"], "rows": loaded["rows"],
            "effects": effects, "notifications": notifications}


def add_people_and_open_set(app, count: int) -> dict:
    """The users, the sending system, and the open set through the intake service."""
    from bench.load import variants
    from spoa.domain.lifecycle import Actor
    from spoa.extensions import db
    from spoa.models import ApiClient, Referral, User
    from spoa.platform.timekeeping import now
    from spoa.schemas.intake import IntakeSchema
    from spoa.services.intake import receive_referral

    rng = random.Random(16)
    with app.app_context():
        supervisor = User(username=SUPERVISOR, role="supervisor")
        clinician = User(username=CLINICIAN, role="clinician", service=SERVICE)
        for user in (supervisor, clinician):
            user.set_password(PASSWORD)
        client, token = ApiClient.issue(name="bench-growth-sender", sources=["emas", "gp", "nhs111"])
        db.session.add_all([supervisor, clinician, client])
        db.session.commit()
        client_id = client.id
        mix = [v for name, v in variants().items() if name != "red-flag"]  # red flags close at once
        schema, at = IntakeSchema(), now()
        started = time.perf_counter()
        for i in range(count):
            body = patient_body(rng, mix[i % len(mix)], f"OPEN-{i}")
            body["received_at"] = (at - timedelta(seconds=(i * 5400 // count) + 60)).isoformat()
            receive_referral(schema.load(body), actor=Actor(kind="api_client", name="bench-growth-sender",
                                                            id=client_id), client_id=client_id)
            db.session.remove()
        seconds = time.perf_counter() - started
        # The referral page's subject: an open crisis-response referral of this sender.
        subject = db.session.scalars(db.select(Referral.id).where(Referral.route == SERVICE,
                                                                  Referral.api_client_id == client_id)
                                     .order_by(Referral.received_at.desc()).limit(1)).first()
    say(f"open set: {count} referrals through the intake service in {seconds:.1f} s")
    return {"token": token, "subject": str(subject)}


def counts() -> dict:
    conn = psycopg2.connect(f"{PG}/{DB_NAME}")
    out = {}
    with conn.cursor() as cur:
        cur.execute("SELECT count(*), count(*) FILTER (WHERE state NOT IN "
                    "('completed', 'cancelled', 'withdrawn', 'redirected')) FROM referrals")
        out["referrals"], out["open"] = cur.fetchone()
        for table in ("clocks", "audit_events", "triage_decisions", "notifications", "clock_effects"):
            cur.execute(f"SELECT count(*) FROM {table}")
            out[table] = cur.fetchone()[0]
    conn.close()
    return out


# ------------------------------------------------------------------ timing
def signed_in(app, username):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    answer = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": csrf})
    if answer.status_code != 302:
        raise RuntimeError(f"sign-in as {username} answered {answer.status_code}")
    return client


def requests_of(app, people: dict, tag: str):
    """{page: a function making one request of it, checking its status}."""
    from bench.load import variants

    supervisor, clinician, api = signed_in(app, SUPERVISOR), signed_in(app, CLINICIAN), app.test_client()
    headers = {"Authorization": f"Bearer {people['token']}"}
    rng, body, serial = random.Random(tag), variants()["ucr-condition"], iter(range(10 ** 9))
    body.pop("received_at")

    def check(answer, status, what):
        if answer.status_code != status:
            raise RuntimeError(f"{what} answered {answer.status_code}: {answer.get_data(as_text=True)[:300]}")
        return answer

    subject = people["subject"]
    return {
        "intake": lambda: check(api.post("/api/v1/referrals", headers=headers,
                                         json=patient_body(rng, body, f"{tag}-{next(serial)}")), 201, "intake"),
        "worklist": lambda: check(clinician.get("/worklist"), 200, "worklist"),
        "referral": lambda: check(supervisor.get(f"/referrals/{subject}"), 200, "referral page"),
        "referral_api": lambda: check(api.get(f"/api/v1/referrals/{subject}", headers=headers), 200, "referral API"),
        "queue": lambda: check(supervisor.get("/queue"), 200, "queue"),
    }


def time_pages(app, people: dict, reps: int, tag: str) -> dict:
    """Median ms of each page, the pages interleaved rep by rep (noise hits all alike)."""
    calls = requests_of(app, people, tag)
    for call in calls.values():  # warm: templates compiled, pools filled
        call()
    runs = {name: [] for name in calls}
    for _ in range(reps):
        for name, call in calls.items():
            started = time.perf_counter()
            call()
            runs[name].append((time.perf_counter() - started) * 1000)
    return {name: {"median_ms": round(statistics.median(v), 2), "runs_ms": [round(t, 1) for t in v]}
            for name, v in runs.items()}


def capture(app, people: dict, tag: str) -> dict:
    """{page: [(statement, parameters)]} of one request of each page."""
    from sqlalchemy import event

    from spoa.extensions import db

    calls = requests_of(app, people, tag)
    for call in calls.values():
        call()
    with app.app_context():
        engine = db.engine
    seen = []

    def listen(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters, executemany))

    out = {}
    event.listen(engine, "before_cursor_execute", listen)
    try:
        for name, call in calls.items():
            seen.clear()
            call()
            out[name] = list(seen)
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    return out


def explain(statements: dict) -> dict:
    """EXPLAIN (ANALYZE, BUFFERS) of each captured statement (writes too), rolled back."""
    conn = psycopg2.connect(f"{PG}/{DB_NAME}")
    out = {}
    for page, rows in statements.items():
        out[page] = []
        for statement, parameters, executemany in rows:
            head = statement.lstrip().split(None, 1)[0].upper()
            if executemany or head not in ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH"):
                continue
            with conn.cursor() as cur:
                try:
                    cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                    plan = "\n".join(r[0] for r in cur.fetchall())
                except psycopg2.Error as exc:
                    plan = f"(could not explain: {exc.pgerror or exc})"
            conn.rollback()
            took = re.search(r"Execution Time: ([\d.]+) ms", plan)
            out[page].append({"statement": statement, "plan": plan, "ms": float(took.group(1)) if took else None})
    conn.close()
    return out


def print_explain(size: int, plans: dict) -> None:
    print(f"\n==== EXPLAIN (ANALYZE, BUFFERS) at {size:,} stored referrals ====")
    for page, rows in plans.items():
        total = sum(r["ms"] or 0 for r in rows)
        print(f"\n---- {page}: {len(rows)} statements, {total:.2f} ms executing in all ----")
        for r in sorted(rows, key=lambda r: -(r["ms"] or 0)):
            print(f"\n-- {r['ms']} ms: {' '.join(r['statement'].split())[:400]}")
            print(r["plan"])


# ------------------------------------------------------------------ the run
def main():
    global DB_NAME
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="1000,1000000", help="stored referrals at each size (default 1000,1000000)")
    p.add_argument("--small", action="store_true", help="sizes 1000,50000 (while developing)")
    p.add_argument("--open", type=int, default=500, help="open referrals, the same at every size (default 500)")
    p.add_argument("--reps", type=int, default=15, help="repetitions of each page at each size (default 15)")
    p.add_argument("--explain", action="store_true", help="print EXPLAIN (ANALYZE, BUFFERS) of every page's queries")
    p.add_argument("--json", help="also write the figures to this file")
    p.add_argument("--keep", action="store_true", help="keep the database afterwards (to explain by hand)")
    p.add_argument("--reuse", action="store_true",
                   help="time the database a --keep run left (at its size, no loading): after a change to the app")
    p.add_argument("--database", default=DB_NAME, help=f"the throw-away database's name (default {DB_NAME})")
    p.add_argument("--baseline", help="a --json file of an earlier run: the ratios are against its first size")
    args = p.parse_args()
    DB_NAME = args.database
    sizes = [1000, 50000] if args.small else [int(s) for s in args.sizes.split(",")]
    os.environ.update(env())

    from flask_migrate import upgrade

    from spoa import create_app
    from spoa.config import Config

    if not args.reuse:
        admin(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        admin(f'CREATE DATABASE "{DB_NAME}"')
    store = redis.Redis.from_url(REDIS_URL)
    store.flushdb()
    app = create_app(Config(env()))
    with app.app_context():
        upgrade()  # with --reuse: a migration that landed since the --keep run (an index, say)
    if args.reuse:
        sizes = [counts()["referrals"]]
    figures = {"sizes": sizes, "open": args.open, "reps": args.reps, "at": {}, "load": {}}
    now = datetime.now(UTC)
    next_start, plans = 1, {}
    try:
        for n, size in enumerate(sizes):
            # what is stored already: the open set and earlier sizes' intakes count
            if args.reuse:
                people = new_sender(app)
            else:
                history = size - (counts()["referrals"] if n else args.open)
                say(f"growing to {size:,} stored referrals: +{history:,} closed")
                figures["load"][size] = grow_history(app, history, next_start, now)
                next_start = figures["load"][size]["next_start"]
            if n == 0 and not args.reuse:
                people = add_people_and_open_set(app, args.open)
            figures["at"][size] = {"rows": counts(), "pages": time_pages(app, people, args.reps, f"S{n}")}
            pages = figures["at"][size]["pages"]
            say(f"at {size:,}: " + ", ".join(f"{k} {v['median_ms']} ms" for k, v in pages.items())
                + f"; rows {figures['at'][size]['rows']}")
            if args.explain:
                plans[size] = explain(capture(app, people, f"X{n}"))
        if args.explain:
            for size in sorted({sizes[0], sizes[-1]}):
                print_explain(size, plans[size])
    finally:
        store.flushdb()
        if not (args.keep or args.reuse):
            admin(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    if args.baseline:
        base = json.loads(Path(args.baseline).read_text())
        first = base["sizes"][0]
        figures["at"] = {first: base["at"][str(first)], **figures["at"]}
        sizes = [first] + sizes
    if len(sizes) < 2:
        print(json.dumps(figures))
        return
    report(figures, sizes)


def new_sender(app) -> dict:
    """For --reuse: a sending system of its own, and the subject a referral it sends now."""
    from bench.load import variants
    from spoa.extensions import db
    from spoa.models import ApiClient

    with app.app_context():
        client, token = ApiClient.issue(name=f"bench-growth-sender-{int(time.time())}",
                                        sources=["emas", "gp", "nhs111"])
        db.session.add(client)
        db.session.commit()
    body = variants()["ucr-condition"]
    body.pop("received_at")
    answer = app.test_client().post("/api/v1/referrals", headers={"Authorization": f"Bearer {token}"},
                                    json=patient_body(random.Random(), body, f"SUBJECT-{int(time.time())}"))
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return {"token": token, "subject": answer.get_json()["id"]}


def report(figures: dict, sizes: list) -> None:
    small, big = sizes[0], sizes[-1]
    print(f"\ncost as data grows: {small:,} vs {big:,} stored referrals ({figures['open']} open at both), "
          f"medians of {figures['reps']}")
    print(f"{'page':<14}{f'{small:,}':>12}{f'{big:,}':>12}{'ratio':>8}  target <= {TARGET_RATIO}x")
    figures["ratios"], ok = {}, True
    for page in PAGES:
        a = figures["at"][small]["pages"][page]["median_ms"]
        b = figures["at"][big]["pages"][page]["median_ms"]
        ratio = round(b / a, 2)
        figures["ratios"][page] = ratio
        ok &= ratio <= TARGET_RATIO
        print(f"{page:<14}{a:>10.1f}ms{b:>10.1f}ms{ratio:>7.2f}x  {'PASS' if ratio <= TARGET_RATIO else 'MISS'}")
    for size, load in figures["load"].items():
        print(f"load to {size:,}: {load['seconds']} s (the history by SQL, its indexes built again, effects and "
              f"notifications, VACUUM ANALYZE)")
    print(json.dumps(figures))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
