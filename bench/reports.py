"""Reports at the county's size: 500,000 referrals over a year on PostgreSQL.

    python bench/reports.py [--referrals 500000] [--days 365] [--reps 5] [--keep] [--reuse] [--json out.json]

A throw-away database spoa_bench_reports (dropped and created; dropped again at the
end unless --keep) is migrated by the app's own migrations and filled by
bench/reports_data.py: referrals, decisions with their inputs, clocks, audit events,
delayed days and capacity declarations, written by SQL inside PostgreSQL from
templates the real intake schema, rules and clock policy made. Then, in this
process, through the app (Config from the environment below, no test settings):

- the reports page, GET /reports for the last 7 and the last 365 days, signed in
  as a supervisor through Flask's test client (server time: request to last byte);
  and sections.build() alone for both periods (the figures without the page);
  medians of --reps runs (the 365-day page of max(2, reps // 2));
- the 2-hour figure (two_hour.headline) for both periods;
- the de-identified extract, GET /reports/extract.csv, for the last 30 and 365
  days, streamed to nowhere in a child process each: rows, time, and memory
  (peak RSS above the RSS before the request, and tracemalloc's peak in a second
  child): flat means the year costs what the month does;
- the replay of the policy over the year (spoa's replay service);
- the coordination centre's feed, GET /api/v1/status, at this size.

What has not landed on this branch yet (the page, the extract, the replay) is
reported as "not available", never as a pass. Redis db 15 (flushed before and
after). Targets: 7-day page < 300 ms, 365-day < 2 s, extract memory < 100 MB and
flat, replay < 60 s; JSON of every figure on the last line of stdout.
"""
import sys
from pathlib import Path

# Run as a script, bench/ is on the path and bench/queue.py would shadow the
# standard library's queue: take bench/ off, put the repo on.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime  # noqa: E402

import psycopg2  # noqa: E402
import redis  # noqa: E402

from bench import servers  # noqa: E402

PG = "postgresql://postgres@127.0.0.1:5432"
DB_NAME = os.environ.get("SPOA_BENCH_REPORTS_DB", "spoa_bench_reports")
REDIS_URL = "redis://127.0.0.1:6379/15"  # the bench's own db (sla.py uses it too: never at the same time)
TARGETS = {"page_7_ms": 300.0, "page_365_ms": 2000.0, "extract_mb": 100.0, "replay_s": 60.0}
SUPERVISOR, PASSWORD = "bench-supervisor", "a long bench password"  # noqa: S105 (a throw-away database)
ANALYST = "bench-analyst"  # the row-level extract is the analyst role's only
START = time.time()


def say(message):
    print(f"[{time.time() - START:6.1f} s] {message}", flush=True)


def env() -> dict:
    return {**os.environ, "DATABASE_URL": f"{PG}/{DB_NAME}", "REDIS_URL": REDIS_URL,
            "SECRET_KEY": "bench-reports-" + "0" * 40, "LIVE_CHANNEL": "spoa:queue:bench-reports",
            "EXTRACT_PSEUDONYM_KEY": "bench-reports-pseudonyms-" + "0" * 40,
            "SESSION_IDLE_MINUTES": "600"}


def make_app():
    from spoa import create_app
    from spoa.config import Config

    return create_app(Config(env()))


admin = servers.pg_admin  # CREATE/DROP DATABASE, outside a transaction


def has_data() -> bool:
    try:
        conn = psycopg2.connect(f"{PG}/{DB_NAME}")
    except psycopg2.OperationalError:
        return False
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass('referrals') IS NOT NULL")
        ok = cur.fetchone()[0]
        if ok:
            cur.execute("SELECT count(*) FROM referrals")
            ok = cur.fetchone()[0] > 0
    conn.close()
    return ok


def median_ms(fn, reps: int) -> dict:
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return {"median_ms": round(statistics.median(times), 1), "runs_ms": [round(t, 1) for t in times]}


# ------------------------------------------------------------------ setting up
def create_database(args) -> dict:
    from flask_migrate import upgrade

    from bench import reports_data

    admin(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    admin(f'CREATE DATABASE "{DB_NAME}"')
    app = make_app()
    started = time.perf_counter()
    with app.app_context():
        upgrade()
    say(f"migrated in {time.perf_counter() - started:.1f} s; loading {args.referrals:,} referrals "
        f"over {args.days} days")
    conn = psycopg2.connect(f"{PG}/{DB_NAME}", application_name="spoa_bench_reports_load")
    started = time.perf_counter()
    loaded = reports_data.load(conn, app, args.referrals, args.days, datetime.now(UTC), say=say)
    conn.close()
    loaded["load_s"] = round(time.perf_counter() - started, 1)
    say(f"loaded in {loaded['load_s']} s: " + ", ".join(f"{k} {v:,}" for k, v in loaded["rows"].items()))
    return loaded


def add_people(app) -> str:
    """A supervisor and an analyst to sign in as, and a status client; returns the client's token."""
    from spoa.extensions import db
    from spoa.models import ApiClient, User

    with app.app_context():
        for username, role in ((SUPERVISOR, "supervisor"), (ANALYST, "analyst")):
            if db.session.query(User).filter_by(username=username).first() is None:
                user = User(username=username, role=role)
                user.set_password(PASSWORD)
                db.session.add(user)
        db.session.query(ApiClient).filter_by(name="bench-shrewd").delete()
        client, token = ApiClient.issue(name="bench-shrewd", scopes=["status"])
        db.session.add(client)
        db.session.commit()
    return token


def signed_in(app, username: str = SUPERVISOR):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    answer = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": csrf})
    if answer.status_code != 302:
        raise RuntimeError(f"sign-in as {username} answered {answer.status_code}")
    return client


def has_route(app, path: str) -> bool:
    return any(rule.rule == path for rule in app.url_map.iter_rules())


def period_query(days: int) -> str:
    """The reports page's own period fields (helper C's filters schema), from/to as UK dates."""
    from spoa.domain.period import Period

    period = Period.last_days(days)
    return f"from={period.first.isoformat()}&to={period.last.isoformat()}"


# ------------------------------------------------------------------ measuring
def time_figures(app, reps: int) -> dict:
    from spoa.domain.period import Filters, Period
    from spoa.reports import sections, two_hour

    out = {}
    with app.app_context():
        for days in (7, 365):
            period = Period.last_days(days)
            sections.build(period)  # warm: the first call imports and plans
            runs = reps if days == 7 else max(2, reps // 2)
            out[f"sections_{days}"] = median_ms(lambda p=period: sections.build(p), runs)
            out[f"two_hour_{days}"] = median_ms(lambda p=period: two_hour.headline(p), reps)
            out[f"two_hour_{days}"]["value"] = two_hour.headline(period).value
            out[f"sections_{days}"]["tables"] = sum(len(s.tables) for s in sections.build(period))
            # Each section alone (one run each for the year): where the time goes.
            out[f"per_section_{days}"] = {
                module.__name__.rsplit(".", 1)[1]: median_ms(lambda m=module, p=period: m.section(p, Filters()),
                                                            reps if days == 7 else 1)["median_ms"]
                for module in sections.SECTIONS}
    return out


def time_page(app, reps: int) -> dict:
    if not has_route(app, "/reports"):
        return {"available": False}
    client = signed_in(app)
    out = {"available": True}
    for days in (7, 365):
        url = f"/reports?{period_query(days)}"

        def get(url=url):
            answer = client.get(url)
            if answer.status_code != 200:
                raise RuntimeError(f"GET {url} answered {answer.status_code}")
            return answer

        get()  # warm
        out[f"page_{days}"] = median_ms(get, reps if days == 7 else max(2, reps // 2))
        out[f"page_{days}"]["bytes"] = len(get().get_data())
    return out


def time_status(app, token: str, reps: int) -> dict:
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}

    def get():
        answer = client.get("/api/v1/status", headers=headers)
        if answer.status_code != 200:
            raise RuntimeError(f"GET /api/v1/status answered {answer.status_code}")
        return answer

    get()
    out = median_ms(get, reps)
    body = get().get_json()
    out["open_referrals"] = sum(r["open_referrals"] for r in body["routes"])
    out["breaches"] = sum(r["breaches"] for r in body["routes"])
    out["two_hour_week"] = body["two_hour"]["week"]["share_met"]
    out["delayed"] = body["delayed_discharges"]["patients_delayed"]
    return out


def extract_child(days: int, trace: bool) -> None:
    """In a child process: stream the extract for the last ``days`` to nowhere and
    print {rows, bytes, seconds, rss_before_mb, rss_peak_mb, traced_peak_mb} as JSON."""
    import tracemalloc

    app = make_app()
    client = signed_in(app, ANALYST)
    url = f"/reports/extract.csv?{period_query(days)}"
    rss_before = _status_mb("VmRSS")
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    answer = client.get(url, buffered=False)
    rows = size = 0
    for chunk in answer.iter_encoded():
        size += len(chunk)
        rows += chunk.count(b"\n")
    answer.close()
    seconds = time.perf_counter() - started
    traced = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
    print(json.dumps({"status": answer.status_code, "rows": rows - 1, "bytes": size, "seconds": round(seconds, 1),
                      "rss_before_mb": round(rss_before, 1), "rss_peak_mb": round(_status_mb("VmHWM"), 1),
                      "rss_growth_mb": round(_status_mb("VmHWM") - rss_before, 1),
                      "traced_peak_mb": round(traced, 1) if trace else None}))


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def time_extract(app) -> dict:
    if not has_route(app, "/reports/extract.csv"):
        return {"available": False}
    out = {"available": True}
    for days in (30, 365):
        for trace in (False, True):
            done = subprocess.run([sys.executable, __file__, "--extract-child", str(days)]
                                  + (["--trace"] if trace else []),
                                  capture_output=True, text=True, env=env())
            if done.returncode:
                raise RuntimeError(f"extract child ({days} days) failed:\n{done.stderr[-2000:]}")
            result = json.loads(done.stdout.strip().splitlines()[-1])
            out[f"extract_{days}{'_traced' if trace else ''}"] = result
            say(f"  extract {days} days{' (tracemalloc)' if trace else ''}: {result}")
    return out


def time_replay(app) -> dict:
    """spoa/replay (helper D's): the running policy replayed over the year's rules
    decisions, on the inputs each was given, nothing written. The same policy, so
    nothing should move: what is timed is reading and deciding every decision."""
    try:
        from spoa.replay.run import replay
    except ImportError:
        return {"available": False}
    from spoa.domain.period import Period
    from spoa.domain.policy import current_policy

    with app.app_context():
        started, cpu = time.perf_counter(), time.process_time()
        result = replay(current_policy(), Period.last_days(365), keep=100)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    tally = result.tally
    return {"available": True, "seconds": round(seconds, 1), "cpu_s": round(cpu, 1), "received": tally.received,
            "replayed": tally.replayed, "rederived": tally.rederived, "changed": tally.changed,
            "failed": tally.failed}


# ------------------------------------------------------------------ reporting
def verdict(value, target) -> str:
    if value is None:
        return "n/a"
    return "PASS" if value < target else "MISS"


def report(figures: dict) -> None:
    page, extract, replay = figures.get("page"), figures.get("extract"), figures.get("replay")
    lines = []
    if "figures" in figures:
        found = figures["figures"]
        for days in (7, 365):
            lines += [(f"sections.build {days} days", found[f"sections_{days}"]["median_ms"], "ms", None)]
            lines += [(f"  {name}", ms, "ms", None) for name, ms in found[f"per_section_{days}"].items()]
        lines += [("two_hour 7 days", found["two_hour_7"]["median_ms"], "ms", None),
                  ("two_hour 365 days", found["two_hour_365"]["median_ms"], "ms", None)]
    if "status" in figures:
        lines += [("GET /api/v1/status", figures["status"]["median_ms"], "ms", None)]
    if page is None:
        pass
    elif page.get("available"):
        lines += [("GET /reports 7 days", page["page_7"]["median_ms"], "ms", TARGETS["page_7_ms"]),
                  ("GET /reports 365 days", page["page_365"]["median_ms"], "ms", TARGETS["page_365_ms"])]
    else:
        lines += [("GET /reports", None, "not available on this branch", None)]
    if extract is None:
        pass
    elif extract.get("available"):
        for days in (30, 365):
            e, traced = extract[f"extract_{days}"], extract[f"extract_{days}_traced"]
            lines += [(f"extract {days} days: {e['rows']:,} rows", e["seconds"], "s", None),
                      (f"extract {days} days RSS growth", e["rss_growth_mb"], "MB", TARGETS["extract_mb"]),
                      (f"extract {days} days tracemalloc peak", traced["traced_peak_mb"], "MB", TARGETS["extract_mb"])]
    else:
        lines += [("extract", None, "not available on this branch", None)]
    if replay is None:
        pass
    elif replay.get("available"):
        lines += [(f"replay of the year: {replay['replayed']:,} decisions, {replay['changed']} moved",
                   replay["seconds"], "s", TARGETS["replay_s"])]
    else:
        lines += [("replay", None, "not available on this branch", None)]
    print()
    for label, value, unit, target in lines:
        shown = "" if value is None else f"{value:>10,.1f} {unit}"
        target_text = f"  (target < {target:g} {unit})  {verdict(value, target)}" if target else ""
        print(f"  {label:<40} {shown or unit}{target_text}")
    print()


def main():
    global DB_NAME
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--referrals", type=int, default=500_000)
    p.add_argument("--days", type=int, default=365)
    p.add_argument("--reps", type=int, default=5, help="runs per timing (the 365-day ones: half, 2 at least)")
    p.add_argument("--keep", action="store_true", help="keep the database at the end (for --reuse)")
    p.add_argument("--reuse", action="store_true", help="time the database a --keep run left, without loading")
    p.add_argument("--json", help="also write the figures to this file")
    p.add_argument("--database", default=DB_NAME, help=f"the throw-away database's name (default {DB_NAME})")
    p.add_argument("--only", default="figures,status,page,extract,replay",
                   help="what to time, comma-separated (default: all of figures,status,page,extract,replay)")
    p.add_argument("--extract-child", type=int, help=argparse.SUPPRESS)
    p.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    args.only = {name.strip() for name in args.only.split(",") if name.strip()}
    DB_NAME = os.environ["SPOA_BENCH_REPORTS_DB"] = args.database  # the extract's children read it too
    if args.extract_child:
        extract_child(args.extract_child, args.trace)
        return
    r = redis.Redis.from_url(REDIS_URL)
    r.flushdb()
    figures = {"referrals": args.referrals, "days": args.days}
    try:
        if args.reuse and has_data():
            from flask_migrate import upgrade

            with make_app().app_context():
                upgrade()  # a migration that landed since the --keep run (an index, say)
            say(f"reusing {DB_NAME}")
        else:
            figures["load"] = create_database(args)
        app = make_app()
        token = add_people(app)
        phases = {"figures": ("sections.build and two_hour", lambda: time_figures(app, args.reps)),
                  "status": ("GET /api/v1/status", lambda: time_status(app, token, args.reps)),
                  "page": ("GET /reports", lambda: time_page(app, args.reps)),
                  "extract": ("the extract", lambda: time_extract(app)),
                  "replay": ("the replay", lambda: time_replay(app))}
        for name, (what, measure) in phases.items():
            if name in args.only:
                say(f"timing {what}")
                figures[name] = measure()
        from spoa.extensions import db

        with app.app_context():
            db.engine.dispose()
    finally:
        r.flushdb()
        if not args.keep:
            admin(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    report(figures)
    line = json.dumps(figures, default=str)
    if args.json:
        Path(args.json).write_text(line + "\n")
    print(line)


if __name__ == "__main__":
    main()
