"""Open live-queue pages must not starve intake: intake latency with 0 and with 200 open pages.

    .venv/bin/python bench/streams.py [--pages 200] [--rate 10] [--seconds 20] [--json out.json]

gunicorn serves the app exactly as scripts/run and production do (gunicorn.conf.py;
--worker-class and --threads override it, e.g. to see gthread starve). Referrals
are posted at a steady rate (open loop: each request has its own send time, and
its latency counts from then, so a stalled server shows as latency, not as a
slower sender). Phases alternate, no pages / --pages pages, --rounds times, so
the machine's noise hits both alike. During a "pages" phase --pages real
Server-Sent Events connections hold /queue/events open (one signed-in
supervisor's session; one process reads all of them with a selector, as 200
browsers would), each having received its snapshot first; every page must
receive every referral posted while it is open (a row event), or the run is
flagged.

Target: intake p99 with pages <= 1.5 x intake p99 without. Uses a throw-away
PostgreSQL database spoa_streams_bench (dropped at the end, and first if left by
an aborted run) and Redis db 12 (flushed before and after; no other db is touched),
with a pub/sub channel of its own. Loopback only. Exit status 1 when any request
failed, a page missed a change or a page's stream ended early.
"""
import sys
from pathlib import Path

# Run as a script, bench/ is on the path and bench/queue.py would shadow the
# standard library's queue: take bench/ off, put the repo on (import bench.*).
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import http.client  # noqa: E402
import json  # noqa: E402
import multiprocessing as mp  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import secrets  # noqa: E402
import selectors  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402

import redis  # noqa: E402
import requests  # noqa: E402

from bench import servers  # noqa: E402
from bench.intake import PG, admin, flask, percentile  # noqa: E402
from bench.load import variants  # noqa: E402

DB_NAME = "spoa_streams_bench"
REDIS_URL = "redis://127.0.0.1:6379/12"  # the bench's own db (intake/queue use 14, sla 15, tests 13)
TARGET_RATIO = 1.5
REQUEST_TIMEOUT = 10  # seconds: a request slower than this is an error, and so are those it delayed
PASSWORD = "bench password 1"  # noqa: S105 (a throw-away database)
USER_AGENT = "spoa-bench-streams"
MIX = ("ucr-condition", "rehab-home", "rehab-bed", "vcs-duty", "fallback", "mh-urgent")  # all stay open


# ---------------------------------------------------------------- the open pages
class Page:
    """One page's stream on a raw socket: the request, then counts of what arrives."""

    MARKERS = {b"event: snapshot": "snapshots", b"event: row": "rows", b"event: closed": "closed"}
    TAIL = max(len(m) for m in MARKERS) - 1

    def __init__(self, port, cookie):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.sendall((f"GET /queue/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: {USER_AGENT}\r\n"
                           f"Accept: text/event-stream\r\nCookie: session={cookie}\r\n\r\n").encode())
        self.sock.setblocking(False)
        self.tail, self.ended = b"", False
        self.counts = {name: 0 for name in self.MARKERS.values()}
        self.status = None

    def feed(self, data: bytes) -> None:
        if self.status is None and data.startswith(b"HTTP/1.1 "):
            self.status = int(data[9:12])
        buf = self.tail + data
        for marker, name in self.MARKERS.items():  # a marker split across reads is found whole here
            self.counts[name] += buf.count(marker)
        self.tail = buf[-self.TAIL:]


def pages_process(port, cookie, count, control, replies):
    """Holds `count` pages open while told to; replies with what they received."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us
    sel, pages = selectors.DefaultSelector(), []
    stop = threading.Event()

    def pump():
        while not stop.is_set():
            for key, _ in sel.select(timeout=0.2) if pages else ():
                page = key.data
                try:
                    data = page.sock.recv(1 << 16)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if not data:
                    page.ended = True
                    sel.unregister(page.sock)
                    continue
                page.feed(data)
            if not pages:
                time.sleep(0.05)

    while (command := control.get()) is not None:
        if command == "open":
            pages = [Page(port, cookie) for _ in range(count)]
            for page in pages:
                sel.register(page.sock, selectors.EVENT_READ, page)
            stop.clear()
            reader = threading.Thread(target=pump, daemon=True)
            reader.start()
            deadline = time.time() + 60
            while time.time() < deadline and not all(p.counts["snapshots"] for p in pages):
                time.sleep(0.1)
            replies.put({"open": sum(1 for p in pages if p.counts["snapshots"]), "statuses":
                         sorted({p.status for p in pages}, key=str)})
        elif command == "counts":
            replies.put([p.counts["rows"] for p in pages])
        elif command == "close":
            stop.set()
            reader.join()
            ended = sum(p.ended for p in pages)
            for page in pages:
                try:
                    sel.unregister(page.sock)
                except (KeyError, ValueError):
                    pass
                page.sock.close()
            replies.put({"rows": [p.counts["rows"] for p in pages], "ended_early": ended,
                         "closed_events": sum(p.counts["closed"] for p in pages)})
            pages = []


# ---------------------------------------------------------------- intake at a steady rate
def post_steadily(port, headers, rate, seconds, senders, tag):
    """`rate` referrals a second for `seconds`, each at its own send time, by `senders`
    keep-alive connections taking turns; latency is from the send time to the response."""
    received_at = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    bodies = [json.dumps({**variants()[name], "received_at": received_at, "source_reference": "@REF@"}).encode()
              for name in MIX]
    total = int(rate * seconds)
    start = time.perf_counter() + 0.2
    lat, errors, lock = [], [], threading.Lock()

    def sender(k):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
        for i in range(k, total, senders):
            due = start + i / rate
            time.sleep(max(0.0, due - time.perf_counter()))
            if time.perf_counter() - due > REQUEST_TIMEOUT:  # a stalled server: bounded, counted, not sent
                with lock:
                    errors.append(f"not sent: {REQUEST_TIMEOUT} s late (the server stalled)")
                continue
            body = bodies[i % len(bodies)].replace(b"@REF@", f"{tag}-{i}".encode())
            try:
                conn.request("POST", "/api/v1/referrals", body, headers)
                response = conn.getresponse()
                status, data = response.status, response.read()
            except (OSError, http.client.HTTPException) as exc:
                status, data = None, repr(exc).encode()
                conn.close()
            took = time.perf_counter() - due
            with lock:
                if status == 201:
                    lat.append(took)
                else:
                    errors.append(f"{status}: {data[:200].decode(errors='replace')}")
        conn.close()

    threads = [threading.Thread(target=sender, args=(k,)) for k in range(senders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(lat), errors


# ---------------------------------------------------------------- setup, the run, the figures
def sign_in_cookie(base) -> str:
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT  # the pages send the same (Flask-Login's session protection)
    page = session.get(f"{base}/login", timeout=10).text
    token = re.search(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = session.post(f"{base}/login", data={"username": "sup", "password": PASSWORD, "csrf_token": token},
                            allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.status_code
    return session.cookies["session"]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--pages", type=int, default=200, help="open queue pages in a pages phase (default 200)")
    p.add_argument("--rate", type=float, default=10, help="referrals posted a second (default 10)")
    p.add_argument("--seconds", type=float, default=20, help="seconds of posting per phase (default 20)")
    p.add_argument("--rounds", type=int, default=2, help="(no pages, pages) pairs, interleaved (default 2)")
    p.add_argument("--senders", type=int, default=4, help="keep-alive sender connections (default 4)")
    p.add_argument("--workers", type=int, default=2, help="WEB_WORKERS for gunicorn.conf.py (default 2)")
    p.add_argument("--worker-class", help="override gunicorn.conf.py's worker class (e.g. gthread)")
    p.add_argument("--threads", type=int, help="override gunicorn.conf.py's threads (gthread only)")
    p.add_argument("--json", help="also write the figures to this file")
    args = p.parse_args()
    if args.rate * args.seconds > 5000 or args.pages > 1000:
        p.error("bounded: at most 5,000 referrals a phase and 1,000 pages")
    return args


def main():
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the finally below
    env = {**os.environ, "DATABASE_URL": f"{PG}/{DB_NAME}", "REDIS_URL": REDIS_URL,
           "SECRET_KEY": secrets.token_hex(32), "LIVE_CHANNEL": f"spoa:queue:bench-streams:{secrets.token_hex(4)}",
           "API_RATE_LIMIT_PER_MINUTE": "100000000", "WEB_WORKERS": str(args.workers), "WEB_LOG_LEVEL": "warning"}
    extra = []
    if args.worker_class:
        extra += ["--worker-class", args.worker_class]
    if args.threads:
        extra += ["--threads", str(args.threads)]
    logdir = tempfile.mkdtemp(prefix="spoa-bench-streams-")
    log_path = f"{logdir}/gunicorn.log"
    server, holder, flagged = None, None, True
    try:
        admin(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        admin(f'CREATE DATABASE "{DB_NAME}"')
        redis.Redis.from_url(REDIS_URL).flushdb()
        flask(env, "db", "upgrade")
        token = flask(env, "spoa", "create-api-client", "--name", "bench", "--sources", "emas,nhs111,gp",
                      "--rate", "100000").strip().splitlines()[-1]
        created = subprocess.run([str(servers.BIN / "flask"), "--app", "wsgi", "spoa", "create-user", "--username",
                                  "sup", "--role", "supervisor"], cwd=ROOT, env=env, input=PASSWORD + "\n",
                                 capture_output=True, text=True)
        if created.returncode:
            raise RuntimeError(f"create-user failed:\n{created.stdout}\n{created.stderr}")
        port = servers.free_port()
        server = servers.start_configured("wsgi:app", port, env, log_path, extra)
        servers.wait_healthy(server, port, log_path)
        base = f"http://127.0.0.1:{port}"
        cookie = sign_in_cookie(base)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

        ctx = mp.get_context("fork")
        control, replies = ctx.Queue(), ctx.Queue()
        holder = ctx.Process(target=pages_process, args=(port, cookie, args.pages, control, replies), daemon=True)
        holder.start()
        run = secrets.token_hex(3)
        post_steadily(port, headers, args.rate, 2, args.senders, f"W{run}")  # warm-up: pools, imports
        phases, problems = [], []
        for r in range(1, args.rounds + 1):
            for with_pages in (False, True):
                name = f"{'pages' if with_pages else 'none '} {r}"
                opened = None
                if with_pages:
                    control.put("open")
                    opened = replies.get(timeout=90)
                    if opened["open"] != args.pages:
                        problems.append(f"{name}: only {opened['open']} of {args.pages} pages got a snapshot "
                                        f"(HTTP {opened['statuses']})")
                holding = f" with {opened['open']} pages open" if opened else ""
                print(f"  {name}: {args.rate:g}/s for {args.seconds:g} s{holding} ...", flush=True)
                lat, errors = post_steadily(port, headers, args.rate, args.seconds, args.senders,
                                            f"B{run}-{r}-{int(with_pages)}")
                phase = {"phase": name, "pages": opened["open"] if opened else 0, "lat": lat, "errors": errors}
                if with_pages:
                    expected = len(lat)  # every referral stored while the pages were open reaches every page
                    deadline = time.time() + 10
                    while time.time() < deadline:
                        control.put("counts")
                        if min(replies.get(timeout=30), default=0) >= expected:
                            break
                        time.sleep(0.3)
                    control.put("close")
                    closed = replies.get(timeout=60)
                    missing = sum(max(0, expected - n) for n in closed["rows"])
                    phase.update(deliveries=sum(closed["rows"]), expected_each=expected, missing=missing,
                                 ended_early=closed["ended_early"])
                    if missing:
                        problems.append(f"{name}: {missing} row deliveries missing")
                    if closed["ended_early"]:
                        problems.append(f"{name}: {closed['ended_early']} streams ended while open")
                for e in errors[:3]:
                    problems.append(f"{name}: {e}")
                phases.append(phase)
        control.put(None)
        flagged = report(args, phases, problems)
        return 1 if flagged else 0
    finally:
        if holder is not None and holder.is_alive():
            holder.terminate()
        servers.stop(server)
        try:
            admin(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        finally:
            redis.Redis.from_url(REDIS_URL).flushdb()  # db 12 only
            if flagged:
                print(f"server log kept in {log_path}", file=sys.stderr)
            else:
                shutil.rmtree(logdir, ignore_errors=True)


def summarise(lat):
    return {"count": len(lat), "p50_ms": 1000 * statistics.median(lat) if lat else float("nan"),
            "p99_ms": 1000 * percentile(lat, 0.99), "max_ms": 1000 * lat[-1] if lat else float("nan")}


def report(args, phases, problems):
    none = summarise(sorted(x for p in phases if "none" in p["phase"] for x in p["lat"]))
    pages = summarise(sorted(x for p in phases if "pages" in p["phase"] for x in p["lat"]))
    ratio = pages["p99_ms"] / none["p99_ms"] if none["p99_ms"] else float("nan")
    worker = args.worker_class or "gunicorn.conf.py's (gevent)"
    print(f"\nSPOA streams bench: worker class {worker}, {args.workers} workers; {args.rate:g} referrals/s, "
          f"{args.senders} senders; {args.pages} pages; PostgreSQL; {os.cpu_count()} CPUs")
    print(f"{'phase':<10}{'pages':>6}{'posted':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
          f"{'errors':>8}{'deliveries':>12}")
    for p in phases:
        s = summarise(p["lat"])
        print(f"{p['phase']:<10}{p['pages']:>6}{s['count']:>8}{s['p50_ms']:>9.1f}{s['p99_ms']:>9.1f}{s['max_ms']:>9.1f}"
              f"{len(p['errors']):>8}{p.get('deliveries', ''):>12}")
    print(f"{'no pages':<16}{none['count']:>8}{none['p50_ms']:>9.1f}{none['p99_ms']:>9.1f}{none['max_ms']:>9.1f}")
    print(f"{f'{args.pages} pages':<16}{pages['count']:>8}{pages['p50_ms']:>9.1f}{pages['p99_ms']:>9.1f}"
          f"{pages['max_ms']:>9.1f}")
    ok = ratio <= TARGET_RATIO
    print(f"\nintake p99 with pages / without {ratio:6.2f}   target <= {TARGET_RATIO}   {'PASS' if ok else 'MISS'}")
    for problem in problems[:10]:
        print(f"  !! {problem}")
    if problems:
        print("!! this run is FLAGGED: do not quote its figures")
    figures = {"no_pages": none, "pages": pages, "ratio_p99": ratio, "target_met": ok, "flagged": bool(problems),
               "settings": {"pages": args.pages, "rate": args.rate, "seconds": args.seconds, "rounds": args.rounds,
                            "workers": args.workers, "worker_class": args.worker_class or "gevent"},
               "phases": [{k: v for k, v in p.items() if k not in ("lat", "errors")} | {"errors": len(p["errors"])}
                          for p in phases],
               "problems": problems}
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures))
    return bool(problems)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # main's finally has stopped the server and dropped the database
        sys.exit(130)
