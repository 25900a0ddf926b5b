"""The live queue with 2,000 open referrals: first render and event latency.

    .venv/bin/python bench/queue.py [--open 2000] [--pages 50] [--changes 120] [--json out.json]

A throw-away PostgreSQL database spoa_queue_bench gets --open open referrals,
stored through the real intake (rules, clocks, audit), received over the last
three hours so the queue holds green, amber and red rows. gunicorn serves the
app (gthread: one thread per open page's stream).

(1) First render: GET /queue as a signed-in supervisor, --renders times for each
of three Accept-Encodings (none, gzip, br): the bytes on the wire (the body as
sent, before the client decodes it; it must decode to the same page), the app's
own Server-Timing (server time, the target: the view's "app" figure, with what
compressing cost, "compress", beside it) and the time to the last byte at the
client. Targets: server time < 150 ms; the page < 250 KB on the wire, compressed.
(2) Event latency: --pages pages hold /queue/events open (each receives its
snapshot first). Then --changes changes are made through the API at about 5 a
second: new referrals, and withdrawals of earlier ones. Latency = arrival at a
page - the commit (the publisher stamps each change with the time just after
its commit; every process here shares one clock), over every page and change.
Target: p99 < 1 s. Every page must see every change, or the run is flagged.

Uses Redis db 14 and its own pub/sub channel; nothing else is touched.
"""
import sys
from pathlib import Path

# Run as bench/queue.py, this file would shadow the standard library's queue
# (which redis and requests import): take bench/ off the path, put the repo on.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import gzip  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402

import requests  # noqa: E402

from bench import servers  # noqa: E402
from bench.intake import PG, admin, percentile  # noqa: E402
from bench.load import variants  # noqa: E402

DB_NAME = "spoa_queue_bench"
REDIS_URL = "redis://127.0.0.1:6379/14"
TARGET_RENDER_MS, TARGET_P99_S = 150.0, 1.0
TARGET_WIRE_BYTES = 250_000  # compressed, as a browser asks for it
ENCODINGS = ("identity", "gzip", "br")
PASSWORD = "bench password 1"  # noqa: S105 (a throw-away database)


def seed(env, count):
    """--open referrals through the intake service, in this process."""
    os.environ.update(env)
    from datetime import timedelta

    from flask_migrate import upgrade

    from spoa import create_app
    from spoa.config import Config
    from spoa.domain.lifecycle import Actor
    from spoa.extensions import db
    from spoa.models import ApiClient, User
    from spoa.platform.timekeeping import now
    from spoa.schemas.intake import IntakeSchema
    from spoa.services.intake import receive_referral

    app = create_app(Config(env))
    with app.app_context():
        upgrade()
        user = User(username="sup", role="supervisor")
        user.set_password(PASSWORD)
        client, token = ApiClient.issue(name="bench-sender", sources=["emas", "gp", "nhs111"])
        db.session.add_all([user, client])
        db.session.commit()
        # Open referrals only: no red flags (those close at once as redirected).
        mix = [v for name, v in variants().items() if name != "red-flag"]
        schema = IntakeSchema()
        started, at = time.perf_counter(), now()
        for i in range(count):
            body = dict(mix[i % len(mix)], source_reference=f"SEED-{i}")
            body["received_at"] = (at - timedelta(seconds=(i * 5400 // count) + 60)).isoformat()
            receive_referral(schema.load(body), actor=Actor(kind="api_client", name="bench-sender", id=client.id),
                             client_id=client.id)
            db.session.remove()
        print(f"seeded {count} open referrals in {time.perf_counter() - started:.1f} s")
    return token


def sign_in(base):
    session = requests.Session()
    page = session.get(f"{base}/login", timeout=10).text
    token = re.search(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = session.post(f"{base}/login", data={"username": "sup", "password": PASSWORD, "csrf_token": token},
                            allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.status_code
    return session


def measure_render(base, times):
    """Per encoding: server times (app, compress), client times, bytes on the wire; and the rows."""
    session = sign_in(base)
    found, page = {}, None
    for encoding in ENCODINGS:
        app_ms, compress_ms, client, wire = [], [], [], []
        for _ in range(times):
            started = time.perf_counter()
            response = session.get(f"{base}/queue", headers={"Accept-Encoding": encoding}, stream=True, timeout=30)
            sent = response.raw.read(decode_content=False)  # the body as it crossed the wire
            client.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
            assert response.headers.get("Content-Encoding", "identity") == encoding, response.headers
            timing = dict(re.findall(r"(\w+);dur=([\d.]+)", response.headers["Server-Timing"]))
            app_ms.append(float(timing["app"]))
            compress_ms.append(float(timing.get("compress", 0)))
            wire.append(len(sent))
            decoded = decode(sent, encoding)
            if page is None:
                page = decoded
            # Every render the same size (the countdown words may differ by a digit or two).
            assert abs(len(decoded) - len(page)) < 2000, (len(decoded), len(page))
        found[encoding] = {"wire_bytes": statistics.median(wire), "server_ms": sorted(app_ms),
                           "compress_ms": sorted(compress_ms), "client_ms": sorted(client)}
    return found, page.decode().count('class="queue-row '), len(page)


def decode(body: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "br":
        import brotli

        return brotli.decompress(body)
    return body


class Page(threading.Thread):
    """One open queue page: its stream, and when each change reached it."""

    def __init__(self, session, base):
        super().__init__(daemon=True)
        self.session, self.base = session, base
        self.snapshot = threading.Event()
        self.snapshot_bytes = 0  # the snapshot event's data line (a stream is never compressed)
        self.arrivals: dict[str, float] = {}  # "<event>:<referral id>" -> latency in seconds

    def run(self):
        try:
            self._read()
        except requests.RequestException:
            pass  # the server stopping at the end of the run

    def _read(self):
        response = self.session.get(f"{self.base}/queue/events", stream=True, timeout=120)
        name = None
        # Big chunks: a snapshot is one line of a megabyte or two, and iter_lines
        # joins its chunks pairwise (512-byte chunks made the client the bottleneck).
        for line in response.iter_lines(chunk_size=1 << 16, decode_unicode=True):
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                received = time.time()
                if name == "snapshot":
                    self.snapshot_bytes = self.snapshot_bytes or len(line.encode())
                    self.snapshot.set()
                elif name in ("row", "gone"):
                    data = json.loads(line[6:])
                    self.arrivals.setdefault(f"{name}:{data['id']}", received - data["committed_at"])


def measure_events(base, token, pages, changes):
    if not pages:
        return [], 0, 0
    session = sign_in(base)
    opened = [Page(session, base) for _ in range(pages)]
    for page in opened:
        page.start()
    for page in opened:
        assert page.snapshot.wait(120), "a page got no snapshot"
    headers = {"Authorization": f"Bearer {token}"}
    body = variants()["ucr-condition"]
    body.pop("received_at")  # counted from arrival: a fixed date falls outside the 24-hour receipt window
    made, expected = [], []
    for i in range(changes):
        if i % 3 == 2 and made:  # every third change: a withdrawal (a row leaves the queue)
            referral_id = made.pop(0)
            r = requests.post(f"{base}/api/v1/referrals/{referral_id}/events",
                              json={"event": "withdraw", "reason": "Sent twice"}, headers=headers, timeout=10)
            assert r.status_code == 200, r.text
            expected.append(f"gone:{referral_id}")
        else:
            r = requests.post(f"{base}/api/v1/referrals", json={**body, "source_reference": f"LIVE-{uuid.uuid4()}"},
                              headers=headers, timeout=10)
            assert r.status_code == 201, r.text
            made.append(r.json()["id"])
            expected.append(f"row:{made[-1]}")
        time.sleep(0.2)
    deadline = time.time() + 10
    while time.time() < deadline and not all(k in p.arrivals for p in opened for k in expected):
        time.sleep(0.2)
    missing = sum(1 for p in opened for k in expected if k not in p.arrivals)
    latencies = sorted(p.arrivals[k] for p in opened for k in expected if k in p.arrivals)
    return latencies, missing, opened[0].snapshot_bytes


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--open", type=int, default=2000, help="open referrals in the queue (default 2000)")
    p.add_argument("--pages", type=int, default=50, help="open queue pages (default 50)")
    p.add_argument("--changes", type=int, default=120, help="changes made while they watch (default 120)")
    p.add_argument("--renders", type=int, default=20, help="GET /queue repetitions (default 20)")
    p.add_argument("--workers", type=int, default=2, help="gunicorn --workers (default 2)")
    p.add_argument("--threads", type=int, default=64, help="gunicorn --threads (default 64)")
    p.add_argument("--json", help="also write the figures to this file")
    p.add_argument("--keep", action="store_true", help="keep the database afterwards (for profiling)")
    args = p.parse_args()
    args.worker_class = "gthread"

    admin(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    admin(f'CREATE DATABASE "{DB_NAME}"')
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    env = {**os.environ, "DATABASE_URL": f"{PG}/{DB_NAME}", "REDIS_URL": REDIS_URL,
           "SECRET_KEY": uuid.uuid4().hex, "LIVE_CHANNEL": f"spoa:queue:bench:{uuid.uuid4().hex}",
           "API_RATE_LIMIT_PER_MINUTE": "100000"}
    token = seed(env, args.open)
    port = servers.free_port()
    log_path = ROOT / "instance" / "bench-queue-gunicorn.log"
    log_path.parent.mkdir(exist_ok=True)
    server = servers.start_gunicorn("wsgi:app", port, args, env, log_path)
    base = f"http://127.0.0.1:{port}"
    try:
        servers.wait_healthy(server, port, log_path)
        renders, rows, size = measure_render(base, args.renders)
        latencies, missing, snapshot_bytes = measure_events(base, token, args.pages, args.changes)
    finally:
        servers.stop(server)
        if not args.keep:
            admin(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        redis.Redis.from_url(REDIS_URL).flushdb()

    def spread(values):
        return {"p50": statistics.median(values), "p99": percentile(values, 0.99), "max": values[-1]}

    figures = {
        "open_referrals": rows, "page_bytes": size, "snapshot_event_bytes": snapshot_bytes,
        "render": {encoding: {"wire_bytes": r["wire_bytes"], "server_ms": spread(r["server_ms"]),
                              "compress_ms": spread(r["compress_ms"]), "client_ms": spread(r["client_ms"])}
                   for encoding, r in renders.items()},
        "pages": args.pages, "changes": args.changes, "deliveries": len(latencies), "missing": missing,
        "event_latency_s": {"p50": statistics.median(latencies) if latencies else None,
                            "p99": percentile(latencies, 0.99) if latencies else None,
                            "max": latencies[-1] if latencies else None},
    }
    server_p50 = statistics.median(r["server_ms"][i] for r in renders.values() for i in range(len(r["server_ms"])))
    figures["render_server_ms_p50"] = server_p50
    render_ok = server_p50 < TARGET_RENDER_MS
    print(f"first render of /queue with {rows} open referrals ({size / 1e6:.2f} MB decoded),"
          f" {args.renders} renders each:")
    print(f"  {'encoding':<9} {'on the wire':>12} {'server p50':>11} {'p99':>6} {'compress p50':>13}"
          f" {'client p50':>11}  target < {TARGET_WIRE_BYTES // 1000} KB")
    for encoding, r in figures["render"].items():
        wire_ok = r["wire_bytes"] < TARGET_WIRE_BYTES
        print(f"  {encoding:<9} {r['wire_bytes'] / 1000:>9.0f} KB"
              f" {r['server_ms']['p50']:>8.0f} ms {r['server_ms']['p99']:>3.0f} ms"
              f" {r['compress_ms']['p50']:>10.0f} ms {r['client_ms']['p50']:>8.0f} ms"
              f"  {'PASS' if wire_ok else ('MISS' if encoding != 'identity' else '(uncompressed)')}")
    print(f"  server time (the view, every render) p50 {server_p50:.0f} ms"
          f" (target < {TARGET_RENDER_MS:.0f} ms: {'PASS' if render_ok else 'MISS'})")
    if latencies:
        latency_ok = figures["event_latency_s"]["p99"] < TARGET_P99_S
        lat = figures["event_latency_s"]
        print(f"event latency, commit -> page, {args.pages} pages x {args.changes} changes"
              f" = {len(latencies)} deliveries:")
        print(f"  p50 {lat['p50'] * 1000:.0f} ms, p99 {lat['p99'] * 1000:.0f} ms,"
              f" max {lat['max'] * 1000:.0f} ms (target p99 < {TARGET_P99_S * 1000:.0f} ms:"
              f" {'PASS' if latency_ok else 'MISS'}); missing deliveries: {missing};"
              f" the snapshot event {snapshot_bytes / 1000:.0f} KB a page (streams are not compressed)")
    print(json.dumps(figures))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    sys.exit(1 if missing else 0)


if __name__ == "__main__":
    main()
