"""SLA clocks at 1,000, 10,000 and 100,000 running: breach lag and the cost of one reconciler pass.

    .venv/bin/python bench/sla.py [--sizes 1000,10000,100000] [--workers 1] [--json out.json]

Each size N gets its own schema (n1000, n10000, ...) in one throw-away database
spoa_sla_bench, migrated by `flask db upgrade`, holding N running clocks written
with SQL (bench/sla_data.py): deadlines spread over the next day, none of them
due, except a few hundred (--near) whose warnings are already recorded and whose
deadlines fall inside the measured window, so what falls due is breaches.

(1) Breach lag, one size after another: the real worker (`flask --app wsgi spoa
worker`, --workers processes, RECONCILE_EVERY_SECONDS=1) runs against the size's
schema while the near clocks' deadlines pass; lag = clock_effects.recorded_at
(the breach) - deadline, p50/p99/max, and every due clock must be breached.
(2) Pass cost, in this process, the sizes interleaved (a noisy machine hits them
alike): workers.jobs.reconcile() (advance_due, and a delivery pass asked for
when anything waits to be sent) when nothing is due, and when --due clocks are due; medians, and
the ratio largest/smallest size against the 1.5 target. Then EXPLAIN ANALYZE of
the reconciler's own due-clock query at each size.

Uses Redis db 15 (--redis; flushed before, between sizes and after; no other db is touched).
Exit status 1 when the run is flagged (a due clock not breached, a clock chased
that was not due, a worker that died, a row the app would not have written):
such a run's figures are not to be quoted.
"""
import sys  # noqa: E402  (first: the path must be right before anything imports queue)
from pathlib import Path  # noqa: E402

# Run as a script, bench/ is on the path and bench/queue.py would shadow the
# standard library's queue: take bench/ off, put the repo on (import bench.*, spoa.*).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import json
import logging
import os
import random
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta

ROOT = Path(__file__).resolve().parent.parent

import psycopg2  # noqa: E402
import redis  # noqa: E402

from bench import servers, sla_data  # noqa: E402
from bench.intake import PG, admin, flask, percentile  # noqa: E402

DB_NAME = "spoa_sla_bench"
REDIS_URL = "redis://127.0.0.1:6379/15"  # the bench's own db; tests use 13, intake bench 14, the app 0
TARGET_LAG_P99_S, TARGET_RATIO = 2.0, 1.5
UTC = UTC
START = time.time()


def say(message):
    print(f"[{time.time() - START:5.1f} s] {message}", flush=True)


def schema(n):
    return f"n{n}"


def db_url(n, app_name):
    return f"{PG}/{DB_NAME}?options=-csearch_path%3D{schema(n)}&application_name={app_name}"


def connect(n):
    return psycopg2.connect(f"{PG}/{DB_NAME}", options=f"-csearch_path={schema(n)}",
                            application_name="spoa_sla_bench_setup")


def app_env(args, n, app_name):
    return {"DATABASE_URL": db_url(n, app_name), "REDIS_URL": REDIS_URL, "SECRET_KEY": args.secret,
            "RECONCILE_EVERY_SECONDS": str(args.reconcile_every)}


# ---------------------------------------------------------------- the app's view of the rows
def check_rows(app, ids) -> list[str]:
    """Every clock's next_due_at must be what Thresholds.next makes of its
    recorded effects: the rows are what the app would have written."""
    from spoa.extensions import db
    from spoa.models import Clock
    from spoa.notifications.chasing import thresholds_of

    wrong = []
    with app.app_context():
        for clock_id in ids:
            clock = db.session.get(Clock, clock_id)
            following = thresholds_of(clock).next({(e.kind, e.level) for e in clock.effects})
            if following is None or following.at != clock.next_due_at:
                wrong.append(f"clock {clock_id}: next_due_at {clock.next_due_at}, the app says {following}")
        db.session.rollback()
    return wrong


# ---------------------------------------------------------------- workers
def start_worker(env, log_path):
    # Own session: a Ctrl-C reaches only this script, which then stops the worker cleanly.
    with open(log_path, "ab") as log:
        return subprocess.Popen([str(servers.BIN / "flask"), "--app", "wsgi", "spoa", "worker"], cwd=ROOT,
                                env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def stop_worker(proc, grace=5.0) -> bool:
    """SIGTERM, then up to ``grace`` seconds for a clean exit; then SIGKILL whatever
    is left in the worker's own session (only what we started: the worker and its
    RQ scheduler child). True if it stopped on SIGTERM alone."""
    clean = False
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(grace)
            clean = True
        except subprocess.TimeoutExpired:
            pass
    else:
        clean = None  # it had already exited
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    if proc.poll() is None:
        proc.wait()
    return clean


def wait_ready(procs, r, logs, timeout=60):
    """Until every worker has registered with RQ and a reconcile period has been claimed."""
    from rq import Worker

    deadline = time.time() + timeout
    while time.time() < deadline:
        for proc, log in zip(procs, logs, strict=True):
            if proc.poll() is not None:
                raise RuntimeError(f"worker exited ({proc.returncode}):\n{Path(log).read_text()[-3000:]}")
        if Worker.count(connection=r) >= len(procs) and r.keys("spoa:periodic:reconcile:*"):
            return
        time.sleep(0.1)
    raise RuntimeError(f"workers not ready after {timeout} s")


# ---------------------------------------------------------------- (1) breach lag
def lag_phase(args, n, app, logdir, r, warn_at):
    """Workers on, near clocks in, watch them breach, workers off."""
    env = {**os.environ, **app_env(args, n, "spoa_sla_worker")}
    logs = [f"{logdir}/worker-{n}-{i}.log" for i in range(args.workers)]
    procs = []
    conn = connect(n)
    try:
        for log in logs:
            procs.append(start_worker(env, log))
        wait_ready(procs, r, logs)
        t0 = datetime.now(UTC)
        rows = sla_data.insert_near(conn, args.near, t0 + timedelta(seconds=args.lead), args.window, warn_at, t0)
        ids = [row[0] for row in rows]
        deadlines = {row[0]: row[1].timestamp() for row in rows}
        wrong = check_rows(app, random.Random(n).sample(ids, min(20, len(ids))))
        say(f"n={n:,}: {args.workers} worker(s) up; {len(ids)} breaches due "
            f"{args.lead:g}-{args.lead + args.window:g} s from now ...")

        # First seen committed, by a poll every --poll s: an upper bound on when a
        # breach became visible (recorded_at is stamped when the pass began).
        conn.autocommit = True
        seen, remaining = {}, set(ids)
        end = max(deadlines.values()) + args.settle
        died = None
        with conn.cursor() as cur:
            while remaining and time.time() < end:
                polled = time.time()
                cur.execute("SELECT id FROM clocks WHERE id = ANY(%s) AND breached_at IS NOT NULL", (list(remaining),))
                for (clock_id,) in cur.fetchall():
                    seen[clock_id] = polled
                    remaining.discard(clock_id)
                died = next((p for p in procs if p.poll() is not None), None)
                if died:
                    break
                time.sleep(args.poll)
        conn.autocommit = False
    finally:
        clean_stops = [stop_worker(proc) for proc in procs]
        r.flushdb()  # its own db only: nothing of this schema's workers may reach the next one
    say(f"n={n:,}: {len(ids) - len(remaining)}/{len(ids)} breaches seen; workers stopped "
        f"({sum(1 for c in clean_stops if c)}/{len(procs)} on SIGTERM)")
    lags = sla_data.breach_lags(conn, ids)
    stray = sla_data.strays(conn, ids)
    conn.close()

    recorded = sorted(v[0] for v in lags.values() if v[0] is not None)
    visible = sorted(seen[i] - deadlines[i] for i in seen)
    text = "".join(Path(log).read_text(errors="replace") for log in logs)
    problems = wrong[:5]
    if died:
        problems.append(f"a worker exited ({died.returncode}) during the run")
    if len(recorded) < len(ids):
        problems.append(f"{len(ids) - len(recorded)} of {len(ids)} due clocks not breached")
    if stray["other_clocks_chased"] or stray["other_effects"] or stray["escalations"]:
        problems.append(f"chased what was not due: {stray}")
    errors = len(re.findall(r"Traceback|\bERROR\b", text))
    if errors:
        problems.append(f"{errors} errors in the worker logs ({', '.join(logs)})")
    return {"n": n, "due": len(ids), "breached": len(recorded),
            "p50_s": percentile(recorded, 0.5), "p99_s": percentile(recorded, 0.99),
            "max_s": recorded[-1] if recorded else float("nan"), "min_s": recorded[0] if recorded else float("nan"),
            "seen_p50_s": percentile(visible, 0.5), "seen_p99_s": percentile(visible, 0.99),
            "seen_max_s": visible[-1] if visible else float("nan"),
            "strays": stray, "stopped_on_sigterm": sum(1 for c in clean_stops if c),
            "problems": problems}


# ---------------------------------------------------------------- (2) pass cost
class Timed:
    """Wraps a module attribute that workers.jobs.reconcile looks up at call time,
    so the real job is what is timed, with its steps apart."""

    def __init__(self, module, name):
        self.module, self.name, self.func, self.spent = module, name, getattr(module, name), 0.0
        setattr(module, name, self)

    def __call__(self, *a, **kw):
        t0 = time.perf_counter()
        try:
            return self.func(*a, **kw)
        finally:
            self.spent += time.perf_counter() - t0

    def restore(self):
        setattr(self.module, self.name, self.func)


def one_pass(app, timers):
    from workers.context import use_app
    from workers.jobs import reconcile

    use_app(app)
    for t in timers.values():
        t.spent = 0.0
    t0 = time.perf_counter()
    out = reconcile()
    total = time.perf_counter() - t0
    return {"ms": 1000 * total, **{f"{k}_ms": 1000 * t.spent for k, t in timers.items()}, **out}


def capture_sql(app):
    """The statements the app sends, by a listener on its engine: the due query
    (FOR UPDATE SKIP LOCKED), with its parameters."""
    from sqlalchemy import event

    from spoa.extensions import db

    seen = {}

    def listen(_conn, _cursor, statement, parameters, _context, _many):
        if "FROM clocks" in statement and "next_due_at" in statement:
            key = "due" if "FOR UPDATE" in statement else None
            if key and key not in seen:
                seen[key] = (statement, dict(parameters), datetime.now(UTC))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listen)
    return seen, lambda: event.remove(engine, "before_cursor_execute", listen)


def explain(conn, captured):
    """EXPLAIN (ANALYZE, BUFFERS) of a captured statement, its instants moved to
    now; in a transaction rolled back (the due query locks what it finds)."""
    statement, params, at = captured
    shift = datetime.now(UTC) - at
    params = {k: v + shift if isinstance(v, datetime) else v for k, v in params.items()}
    with conn.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement, params)
        plan = [row[0] for row in cur.fetchall()]
    conn.rollback()
    return plan


def pass_phase(args, apps, conns, probes, warn_at):
    import spoa.notifications.delivery
    import workers.reconciler

    timers = {"advance_due": Timed(workers.reconciler, "advance_due"),
              "deliver_due": Timed(spoa.notifications.delivery, "deliver_due")}
    sizes = list(apps)
    runs = {n: {"idle": [], "due": []} for n in sizes}
    captured, plans = {}, {}
    try:
        for n in sizes:  # warm: connections, policy, first statements; and the SQL to explain
            seen, stop = capture_sql(apps[n])
            one_pass(apps[n], timers)
            sla_data.reset_probes(conns[n], probes[n], datetime.now(UTC) - timedelta(seconds=1), warn_at)
            one_pass(apps[n], timers)
            stop()
            captured[n] = seen
        say(f"pass cost: {args.reps} rounds, sizes interleaved, nothing due / {args.due} due ...")
        for rep in range(args.reps):
            order = sizes[rep % len(sizes):] + sizes[:rep % len(sizes)]  # rotate: no size always first
            for n in order:
                runs[n]["idle"].append(one_pass(apps[n], timers))
                sla_data.reset_probes(conns[n], probes[n], datetime.now(UTC) - timedelta(seconds=1), warn_at)
                runs[n]["due"].append(one_pass(apps[n], timers))
        for n in sizes:
            sla_data.reset_probes(conns[n], probes[n], datetime.now(UTC) - timedelta(seconds=1), warn_at)
            plans[n] = {k: explain(conns[n], captured[n][k]) for k in ("due",) if k in captured[n]}
            one_pass(apps[n], timers)  # leave them breached, as a pass would
    finally:
        for t in timers.values():
            t.restore()
    out = {}
    for n in sizes:
        row = {"n": n, "plans": plans[n], "problems": []}
        for case, expect in (("idle", 0), ("due", args.due)):
            passes = runs[n][case]
            row[case] = {k: statistics.median(p[k] for p in passes) for k in passes[0]
                         if k == "ms" or k.endswith("_ms")}
            row[case]["min_ms"] = min(p["ms"] for p in passes)
            odd = [p["advanced"] for p in passes if p["advanced"] != expect]
            if odd:
                row["problems"].append(f"{case} passes advanced {odd[:5]} clocks, not {expect}")
        due_plan = "\n".join(plans[n].get("due", []))
        row["due_index"] = "ix_clocks_next_due_at" in due_plan and "Seq Scan" not in due_plan
        m = re.search(r"Execution Time: ([\d.]+) ms", due_plan)
        row["due_query_ms"] = float(m.group(1)) if m else float("nan")
        out[n] = row
    return out


# ---------------------------------------------------------------- setup and the run
def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="1000,10000,100000",
                   help="running clocks in each schema, comma-separated (default %(default)s)")
    p.add_argument("--near", type=int, default=300,
                   help="clocks whose breach falls due during each lag phase (default 300)")
    p.add_argument("--window", type=float, default=30,
                   help="seconds the near clocks' deadlines are spread over (default 30)")
    p.add_argument("--lead", type=float, default=5,
                   help="seconds from the workers being up to the first near deadline (default 5)")
    p.add_argument("--settle", type=float, default=10,
                   help="seconds after the last deadline to wait for the last breach (default 10)")
    p.add_argument("--poll", type=float, default=0.1,
                   help="seconds between looks for newly committed breaches (default 0.1)")
    p.add_argument("--workers", type=int, default=1,
                   help="`flask spoa worker` processes in the lag phases (default 1)")
    p.add_argument("--reconcile-every", type=int, default=1,
                   help="RECONCILE_EVERY_SECONDS for the workers (default 1, the app's default)")
    p.add_argument("--due", type=int, default=50,
                   help="clocks due in the 'due' reconciler pass, the same at every size (default 50)")
    p.add_argument("--reps", type=int, default=25, help="timed passes of each kind at each size (default 25)")
    p.add_argument("--no-lag", action="store_true", help="skip the breach-lag phases (pass cost only)")
    p.add_argument("--json", help="also write the figures to this file")
    p.add_argument("--database", default=DB_NAME,
                   help="the throw-away database (dropped before and after; default %(default)s)")
    p.add_argument("--redis", default=REDIS_URL,
                   help="the Redis db the workers use (flushed before, between sizes and after; "
                        "default %(default)s)")
    args = p.parse_args()
    try:
        args.sizes = sorted({int(s.replace("_", "").replace(",", "")) for s in args.sizes.split(",") if s.strip()})
    except ValueError:
        p.error("--sizes: whole numbers, comma-separated")
    extra = 0 if args.no_lag else args.near
    if not args.sizes or min(args.sizes) < max(args.due, 1) + extra:
        p.error(f"--sizes: each must be at least --due + --near ({args.due + extra})")
    if args.workers < 1 or args.reps < 1 or args.near < 1 or args.due < 1 or args.reconcile_every < 1:
        p.error("--workers, --reps, --near, --due and --reconcile-every must be at least 1")
    args.secret = secrets.token_hex(32)
    return args


def setup_logging(logdir):
    """The in-process apps log as they would in a worker (INFO, every breach), to a
    file rather than this terminal. create_app's basicConfig then leaves it be."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s",
                        handlers=[logging.FileHandler(f"{logdir}/bench-app.log")])


def main():
    global DB_NAME, REDIS_URL
    args = parse_args()
    DB_NAME, REDIS_URL = args.database, args.redis  # one bench beside another: each its own
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the finally below
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C, even if started with SIGINT ignored
    logdir = tempfile.mkdtemp(prefix="spoa-sla-bench-")
    setup_logging(logdir)
    r = redis.Redis.from_url(REDIS_URL)
    apps, conns, flagged = {}, {}, True
    try:
        global START
        started = START = time.time()
        admin(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        admin(f'CREATE DATABASE "{DB_NAME}"')
        r.flushdb()
        from rules.loader import load_policy
        from spoa import create_app
        from spoa.config import Config

        warn_at = tuple(load_policy(None).warn_at)
        probes, bulk_sample = {}, {}
        for n in args.sizes:
            bulk = n - (0 if args.no_lag else args.near)
            t = time.time()
            with connect(n) as c:
                c.cursor().execute(f"CREATE SCHEMA {schema(n)}")
            c.close()
            flask({**os.environ, **app_env(args, n, "spoa_sla_migrate")}, "db", "upgrade")
            conns[n] = connect(n)
            ids = sla_data.populate_bulk(conns[n], bulk, datetime.now(UTC), warn_at)
            conns[n].autocommit = True
            conns[n].cursor().execute("ANALYZE")  # a live database has statistics; a fresh bulk load has none
            conns[n].autocommit = False
            probes[n] = ids[:args.due]
            bulk_sample[n] = random.Random(n).sample(ids[args.due:], min(20, len(ids) - args.due))
            say(f"n={n:,}: schema {schema(n)} migrated, {bulk:,} running clocks written "
                f"({time.time() - t:.1f} s)")
            apps[n] = create_app(Config(app_env(args, n, "spoa_sla_pass")))
        problems = [w for n in args.sizes for w in check_rows(apps[n], bulk_sample[n])]

        lag = {}
        if not args.no_lag:
            for n in args.sizes:
                lag[n] = lag_phase(args, n, apps[n], logdir, r, warn_at)
        passes = pass_phase(args, apps, conns, probes, warn_at)
        flagged = report(args, lag, passes, problems, time.time() - started)
        return 1 if flagged else 0
    finally:
        from spoa.extensions import db

        for app in apps.values():
            with app.app_context():
                db.engine.dispose()
        for c in conns.values():
            c.close()
        try:
            admin(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        finally:
            r.flushdb()  # its own db only
            logging.shutdown()
            if flagged:  # a problem or an exception: keep what the workers said
                print(f"logs kept in {logdir}", file=sys.stderr)
            else:
                shutil.rmtree(logdir, ignore_errors=True)


def report(args, lag, passes, problems, elapsed):
    sizes = args.sizes
    lo, hi = sizes[0], sizes[-1]
    mark = lambda ok: "PASS" if ok else "MISS"  # noqa: E731
    width = 12
    row = lambda label, vals: print(f"{label:<44}" + "".join(f"{v:>{width}}" for v in vals))  # noqa: E731
    f3 = lambda v: f"{v:.3f}"  # noqa: E731
    f2 = lambda v: f"{v:.2f}"  # noqa: E731

    print(f"\nSPOA SLA bench: PostgreSQL, schema per size; {os.cpu_count()} CPUs; {elapsed:.0f} s")
    row("running clocks", [f"{n:,}" for n in sizes])
    if lag:
        print(f"breach lag: {args.workers} x `flask spoa worker`, RECONCILE_EVERY_SECONDS={args.reconcile_every}, "
              f"{args.near} breaches over {args.window:g} s")
        row("  breached / due", [f"{lag[n]['breached']}/{lag[n]['due']}" for n in sizes])
        row("  lag p50 s (recorded_at-deadline)", [f3(lag[n]["p50_s"]) for n in sizes])
        row("  lag p99 s", [f3(lag[n]["p99_s"]) for n in sizes])
        row("  lag max s", [f3(lag[n]["max_s"]) for n in sizes])
        row("  first seen committed p50 s", [f3(lag[n]["seen_p50_s"]) for n in sizes])
        row(f"  first seen committed p99 s (+{args.poll:g})", [f3(lag[n]["seen_p99_s"]) for n in sizes])
        row("  workers exited on SIGTERM (in 5 s)", [f"{lag[n]['stopped_on_sigterm']}/{args.workers}" for n in sizes])
    print(f"reconciler pass (workers.jobs.reconcile in-process, median of {args.reps}, ms)")
    row("  nothing due: pass", [f2(passes[n]["idle"]["ms"]) for n in sizes])
    row("    advance_due", [f2(passes[n]["idle"]["advance_due_ms"]) for n in sizes])
    row("    min pass", [f2(passes[n]["idle"]["min_ms"]) for n in sizes])
    row(f"  {args.due} due: pass", [f2(passes[n]["due"]["ms"]) for n in sizes])
    row("    advance_due", [f2(passes[n]["due"]["advance_due_ms"]) for n in sizes])
    row("    min pass", [f2(passes[n]["due"]["min_ms"]) for n in sizes])
    row("    per due clock", [f2((passes[n]["due"]["ms"] - passes[n]["idle"]["ms"]) / args.due) for n in sizes])
    row(f"  due query, {args.due} due (EXPLAIN ms)", [f3(passes[n]["due_query_ms"]) for n in sizes])
    row("  due query uses ix_clocks_next_due_at", [f"{'yes' if passes[n]['due_index'] else 'NO'}" for n in sizes])
    for n in sizes:
        print(f"\nEXPLAIN ANALYZE, the reconciler's due-clock query, n={n:,}, {args.due} due:")
        for line in passes[n]["plans"].get("due", ["(not captured)"]):
            print(f"    {line}")

    idle_ratio = passes[hi]["idle"]["ms"] / passes[lo]["idle"]["ms"]
    due_ratio = passes[hi]["due"]["ms"] / passes[lo]["due"]["ms"]
    print()
    targets = {}
    if lag:
        p99 = lag[hi]["p99_s"]
        targets["lag_p99"] = p99 <= TARGET_LAG_P99_S and lag[hi]["breached"] == lag[hi]["due"]
        print(f"breach lag p99 at {hi:>7,}             {p99:7.3f} s  target <= {TARGET_LAG_P99_S:g} s    "
              f"{mark(targets['lag_p99'])}")
        targets["all_breached"] = all(lag[n]["breached"] == lag[n]["due"] for n in sizes)
        print(f"due clocks breached, every size       {sum(lag[n]['breached'] for n in sizes):>5}/"
              f"{sum(lag[n]['due'] for n in sizes):<5}  target all        {mark(targets['all_breached'])}")
    targets["pass_ratio_idle"] = idle_ratio <= TARGET_RATIO
    targets["pass_ratio_due"] = due_ratio <= TARGET_RATIO
    print(f"pass {hi:,}/{lo:,}, nothing due     {idle_ratio:7.2f}    target <= {TARGET_RATIO:g}     "
          f"{mark(targets['pass_ratio_idle'])}")
    print(f"pass {hi:,}/{lo:,}, {args.due} due          {due_ratio:7.2f}    target <= {TARGET_RATIO:g}     "
          f"{mark(targets['pass_ratio_due'])}")

    problems = problems + [f"n={n}: {p}" for n in sizes for p in lag.get(n, {}).get("problems", [])] \
        + [f"n={n}: {p}" for n in sizes for p in passes[n]["problems"]] \
        + [f"n={n}: the due query does not use ix_clocks_next_due_at" for n in sizes if not passes[n]["due_index"]]
    if lag and any(lag[n]["stopped_on_sigterm"] < args.workers for n in sizes):
        print("note: a `flask spoa worker` did not exit on SIGTERM and was killed (after its figures were "
              "taken; not a flag): see bench/README.md")
    for p in problems:
        print(f"!! {p}")
    if problems:
        print("\n!! this run is FLAGGED, do not quote its figures")
    figures = {"sizes": sizes, "workers": args.workers, "reconcile_every_s": args.reconcile_every,
               "near": args.near, "window_s": args.window, "due": args.due, "reps": args.reps,
               "lag": {str(n): {k: v for k, v in lag[n].items() if k != "problems"} for n in lag},
               "pass": {str(n): {k: v for k, v in passes[n].items() if k not in ("plans", "problems")}
                        for n in sizes},
               "ratio_idle": idle_ratio, "ratio_due": due_ratio, "targets": targets,
               "flagged": bool(problems), "problems": problems, "elapsed_s": elapsed}
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures))
    return bool(problems)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # main's finally has stopped the workers and dropped the database
        sys.exit(130)
