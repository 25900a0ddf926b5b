"""Referral intake throughput against its floor, on gunicorn + PostgreSQL, in one run.

    .venv/bin/python bench/intake.py [--concurrency 16] [--seconds 10] [--json out.json]

(a) POST /api/v1/referrals on the real app (auth, rate limit, validation, rules,
insert, clocks, audit); (b) bench/floor_app.py: the same body, one raw INSERT,
same gunicorn settings. The machine is shared and noisy, so a and b are measured
side by side, interleaved (a, b, a, b), by identical load generators, and the
ratio a/b is the figure to trust more than either rate alone. Then the rules
engine's decisions per second in this (single-threaded, so one-core) process.

Uses a throw-away database spoa_bench and Redis db 12 (flushed; no other db is touched).
Exit status 1 when any request failed: such a run's figures are not to be quoted.
"""
import sys  # noqa: E402  (first: the path must be right before anything imports queue)
from pathlib import Path  # noqa: E402

# Run as a script, bench/ is on the path and bench/queue.py would shadow the
# standard library's queue: take bench/ off, put the repo on (import bench.*, spoa.*).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import json
import math
import multiprocessing as mp
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta

ROOT = Path(__file__).resolve().parent.parent

import redis  # noqa: E402

from bench import servers  # noqa: E402
from bench.load import load_process, variants  # noqa: E402

PG = "postgresql://postgres@127.0.0.1:5432"
DB_NAME = "spoa_bench"
REDIS_URL = "redis://127.0.0.1:6379/12"  # the bench's own db (other benches use 13-15); tests use 1-9, the app 0
TARGET_RATIO, TARGET_P99_MS, TARGET_RULES = 0.5, 100.0, 20_000
TARGET_FHIR_RATIO = 0.7  # FHIR intake (JSON and XML) against the JSON API's rate, same run
FHIR_DOS_ID = "111111111"  # the destination of tests/fhir/messages.py's messages


# ---------------------------------------------------------------- measuring
def percentile(sorted_values, q):
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, math.ceil(q * len(sorted_values)) - 1)]


def run_phase(name, server, args, jobs_qs, results, headers, tag, kind="api"):
    now = time.time()
    received_at = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    job = {"port": server["port"], "headers": headers, "tag": tag, "received_at": received_at, "mix": args.mix,
           "kind": kind,
           "start": now + 0.5, "warm_end": now + 0.5 + args.warmup,
           "end": now + 0.5 + args.warmup + args.seconds}
    for q in jobs_qs:
        q.put(job)
    time.sleep(max(0.0, job["warm_end"] - time.time()))
    pids = servers.server_pids(server["proc"].pid, f"{PG}/{DB_NAME}", server["app_name"])  # pools are warm by now
    cpu0 = servers.cpu_seconds(pids)
    time.sleep(max(0.0, job["end"] - time.time()))
    cpu1 = servers.cpu_seconds(pids)
    outs = [results.get(timeout=args.seconds + args.warmup + 120) for _ in jobs_qs]
    lat = sorted(x for o in outs for x in o["lat"])
    errors = {}
    for o in outs:
        for key, count in o["errors"].items():
            errors[key] = errors.get(key, 0) + count
    return {"phase": name, "count": len(lat), "seconds": args.seconds, "lat": lat,
            "errors": errors, "samples": sorted({s for o in outs for s in o["samples"]})[:5],
            "cpu_s": cpu1 - cpu0}


def summarise(phases, label):
    lat = sorted(x for p in phases for x in p["lat"])
    count, seconds = len(lat), sum(p["seconds"] for p in phases)
    return {"label": label, "rps": count / seconds, "p50_ms": 1000 * percentile(lat, 0.5),
            "p99_ms": 1000 * percentile(lat, 0.99), "count": count,
            "errors": sum(sum(p["errors"].values()) for p in phases),
            "server_cpu_ms_per_req": 1000 * sum(p["cpu_s"] for p in phases) / max(count, 1)}


def rate(fn, items, seconds) -> float:
    count, t0 = 0, time.perf_counter()
    while True:
        for item in items:
            fn(item)
        count += len(items)
        elapsed = time.perf_counter() - t0
        if elapsed >= seconds:
            return count / elapsed


def bench_rules(seconds, mix) -> dict:
    """Decisions per second in-process, on the app's own input shape (IntakeSchema
    -> triage.intake_facts, as intake derives them), over the same mix as the load."""
    from rules.loader import load_policy
    from spoa.schemas.intake import IntakeSchema
    from spoa.services.triage import intake_facts

    policy = load_policy(None)
    received_at = datetime.now(UTC) - timedelta(minutes=1)
    inputs = []
    for name in mix:
        # Without the fixture's received_at: a fixed date falls out of the receipt window as days pass.
        data = IntakeSchema().load({**{k: v for k, v in variants()[name].items() if k != "received_at"},
                                    "source_reference": "RULES-1"})
        inputs.append(data)
    facts = [intake_facts(i, received_at) for i in inputs]
    rule_ids = sorted({policy.decide(f).rule_id for f in facts})
    return {"decide_per_s": rate(policy.decide, facts, seconds),
            "derive_and_decide_per_s": rate(
                lambda i: policy.decide(intake_facts(i, received_at)), inputs, seconds / 2),
            "rules_fired": rule_ids}


# ---------------------------------------------------------------- setup and the run
admin = servers.pg_admin  # CREATE/DROP DATABASE, outside a transaction


def flask(env, *cli_args) -> str:
    done = subprocess.run([str(servers.BIN / "flask"), "--app", "wsgi", *cli_args], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"flask {' '.join(cli_args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--concurrency", type=int, default=16, help="concurrent senders (default 16)")
    p.add_argument("--procs", type=int, default=4, help="load generator processes (default 4)")
    p.add_argument("--seconds", type=float, default=10, help="measured seconds per phase (default 10)")
    p.add_argument("--warmup", type=float, default=2, help="uncounted seconds before each phase (default 2)")
    p.add_argument("--rounds", type=int, default=2, help="a,b pairs, interleaved (default 2)")
    p.add_argument("--workers", type=int, default=2, help="gunicorn --workers, both servers (default 2)")
    p.add_argument("--threads", type=int, default=8, help="gunicorn --threads, both servers (default 8)")
    p.add_argument("--worker-class", default="gthread", help="gunicorn --worker-class (default gthread)")
    p.add_argument("--rules-seconds", type=float, default=2, help="seconds timing policy.decide (default 2)")
    p.add_argument("--mix", default=",".join(variants()),
                   help="referral kinds to send, by the rule each fires (default: all of %(default)s)")
    p.add_argument("--no-fhir", dest="fhir", action="store_false",
                   help="leave out the FHIR phases (c: BaRS JSON, d: BaRS XML, on the real app)")
    p.add_argument("--json", help="also write the figures to this file")
    args = p.parse_args()
    args.mix = [name.strip() for name in args.mix.split(",") if name.strip()]
    unknown = set(args.mix) - set(variants())
    if unknown or not args.mix:
        p.error(f"--mix: unknown {', '.join(sorted(unknown)) or 'empty'}; known: {', '.join(variants())}")
    return args


def main():
    args = parse_args()
    procs_n = max(1, min(args.procs, args.concurrency))
    per_proc = [args.concurrency // procs_n + (i < args.concurrency % procs_n) for i in range(procs_n)]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the finally below
    env = {**os.environ, "DATABASE_URL": f"{PG}/{DB_NAME}?application_name=spoa_bench_app",
           "REDIS_URL": REDIS_URL, "SECRET_KEY": secrets.token_hex(32),
           "API_RATE_LIMIT_PER_MINUTE": "100000000", "SPOA_DOS_SERVICE_IDS": FHIR_DOS_ID}
    running, loaders, jobs_qs, logdir = {}, [], [], tempfile.mkdtemp(prefix="spoa-bench-")
    flagged = True
    try:
        admin(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        admin(f'CREATE DATABASE "{DB_NAME}"')
        redis.Redis.from_url(REDIS_URL).flushdb()  # no rate-limit counters left by an aborted run
        flask(env, "db", "upgrade")
        token = flask(env, "spoa", "create-api-client", "--name", "bench", "--sources", "emas,nhs111,gp",
                      "--rate", "100000").strip().splitlines()[-1]
        # A FHIR client posts as exactly one source.
        fhir_token = flask(env, "spoa", "create-api-client", "--name", "bench-fhir", "--sources", "nhs111",
                           "--rate", "100000").strip().splitlines()[-1]
        floor_env = {**env, "DATABASE_URL": f"{PG}/{DB_NAME}?application_name=spoa_bench_floor"}
        for key, spec, e, app_name in (("a", "wsgi:app", env, "spoa_bench_app"),
                                       ("b", "bench.floor_app:app", floor_env, "spoa_bench_floor")):
            port, log = servers.free_port(), f"{logdir}/{key}.log"
            running[key] = {"port": port, "log": log, "app_name": app_name,
                            "proc": servers.start_gunicorn(spec, port, args, e, log)}
        for s in running.values():
            servers.wait_healthy(s["proc"], s["port"], s["log"])

        ctx = mp.get_context("fork")  # the parent has no threads yet: forking is safe and quick
        results = ctx.Queue()
        for i, threads in enumerate(per_proc):
            jobs_qs.append(ctx.Queue())
            loaders.append(ctx.Process(target=load_process, args=(i, threads, jobs_qs[-1], results), daemon=True))
            loaders[-1].start()
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        fhir_headers = {"Authorization": f"Bearer {fhir_token}"}
        kinds = {"a": ("intake", "a", "api", headers), "b": ("floor", "b", "api", headers),
                 "c": ("fhir-json", "a", "fhir-json", {**fhir_headers, "Content-Type": "application/fhir+json"}),
                 "d": ("fhir-xml", "a", "fhir-xml", {**fhir_headers, "Content-Type": "application/fhir+xml"})}
        run = secrets.token_hex(3)
        phases = []
        for r in range(1, args.rounds + 1):
            for key in ("a", "b", "c", "d") if args.fhir else ("a", "b"):
                label, server, kind, phase_headers = kinds[key]
                print(f"  {key}{r} {label}: {args.warmup:g} s warm-up + {args.seconds:g} s ...", flush=True)
                phases.append(run_phase(f"{key}{r} {label}", running[server], args, jobs_qs, results,
                                        phase_headers, f"B{run}{key}{r}", kind))
        for q in jobs_qs:
            q.put(None)
        rules = bench_rules(args.rules_seconds, args.mix)
        flagged = report(args, per_proc, phases, rules)
        return 1 if flagged else 0
    finally:
        for p in loaders:
            if p.is_alive():
                p.terminate()
        for s in running.values():
            servers.stop(s["proc"])
        try:
            admin(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        finally:
            redis.Redis.from_url(REDIS_URL).flushdb()  # db 12 only
            if flagged:  # an error or an exception: keep what the servers said
                print(f"server logs kept in {logdir}", file=sys.stderr)
            else:
                shutil.rmtree(logdir, ignore_errors=True)


def report(args, per_proc, phases, rules):
    a = summarise([p for p in phases if "intake" in p["phase"]], "intake (all)")
    b = summarise([p for p in phases if "floor" in p["phase"]], "floor (all)")
    fhir = {label: summarise(chosen, f"{label} (all)") for label in ("fhir-json", "fhir-xml")
            if (chosen := [p for p in phases if p["phase"].endswith(label)])}
    ratio = a["rps"] / b["rps"] if b["rps"] else float("nan")
    mark = lambda ok: "PASS" if ok else "MISS"  # noqa: E731
    print(f"\nSPOA intake bench: gunicorn --workers {args.workers} --threads {args.threads} "
          f"--worker-class {args.worker_class}; {args.concurrency} senders ({len(per_proc)} procs x "
          f"{'/'.join(map(str, per_proc))} threads, keep-alive); PostgreSQL; {os.cpu_count()} CPUs")
    print(f"{'phase':<14}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'srv CPU ms/req':>16}")
    for p in phases + [a, b, *fhir.values()]:
        s = p if "rps" in p else summarise([p], p["phase"])
        print(f"{s['label']:<14}{s['rps']:>9.1f}{s['p50_ms']:>9.1f}{s['p99_ms']:>9.1f}{s['errors']:>8}"
              f"{s['server_cpu_ms_per_req']:>16.2f}")
    for p in phases:
        for sample in p["samples"]:
            print(f"  ERROR {p['phase']}: {sample}")
    print(f"\nratio a/b (throughput)        {ratio:8.2f}   target >= {TARGET_RATIO}      {mark(ratio >= TARGET_RATIO)}")
    fhir_ratios = {}
    for label, f in fhir.items():
        fhir_ratios[label] = f["rps"] / a["rps"] if a["rps"] else float("nan")
        print(f"{label} / JSON API (rate)   {fhir_ratios[label]:8.2f}   target >= {TARGET_FHIR_RATIO}      "
              f"{mark(fhir_ratios[label] >= TARGET_FHIR_RATIO)}   (p99 {f['p99_ms']:.1f} ms)")
    print(f"intake p99 at {args.concurrency:>2} senders      {a['p99_ms']:8.1f} ms target < {TARGET_P99_MS:g} ms "
          f"{mark(a['p99_ms'] < TARGET_P99_MS)}")
    print(f"rules decide (one thread)     {rules['decide_per_s']:8.0f}/s  target >= {TARGET_RULES}  "
          f"{mark(rules['decide_per_s'] >= TARGET_RULES)}")
    print(f"derive_facts + decide         {rules['derive_and_decide_per_s']:8.0f}/s  "
          f"(rules fired: {', '.join(rules['rules_fired'])})")
    print(f"server CPU per request        intake {a['server_cpu_ms_per_req']:.2f} ms, floor "
          f"{b['server_cpu_ms_per_req']:.2f} ms (gunicorn workers + their PostgreSQL backends)")
    if set(rules["rules_fired"]) != set(args.mix):
        print(f"!! the mix was meant to fire {', '.join(sorted(args.mix))}: check bench/load.py")
    errors = a["errors"] + b["errors"] + sum(f["errors"] for f in fhir.values())
    if errors:
        print(f"\n!! {errors} requests failed: this run is FLAGGED, do not quote its figures")
    figures = {"intake": a, "floor": b, "ratio": ratio, "concurrency": args.concurrency,
               "fhir": fhir, "fhir_ratios": fhir_ratios,
               "rules": rules, "flagged": bool(errors),
               "phases": [{k: v for k, v in p.items() if k != "lat"} for p in phases],
               "targets": {"ratio": ratio >= TARGET_RATIO, "p99": a["p99_ms"] < TARGET_P99_MS,
                           "rules": rules["decide_per_s"] >= TARGET_RULES,
                           **{f"{k}_ratio": v >= TARGET_FHIR_RATIO for k, v in fhir_ratios.items()}}}
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures))
    return bool(errors)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # main's finally has stopped the servers and dropped the database
        sys.exit(130)
