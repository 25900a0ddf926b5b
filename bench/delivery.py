"""Delivery while receivers trickle: a fourth sender's outcome and an on-call breach
alert, while three callbacks trickle their answers for ever, beside the same with none trickling.

    .venv/bin/python bench/delivery.py [--rounds 5] [--redis redis://127.0.0.1:6379/3] [--json out.json]

The real worker path: `flask --app wsgi spoa worker` (its reconciler asks for a
delivery pass each second when something is due; the pass runs on the delivery
queue's worker) against a throw-away PostgreSQL database spoa_delivery_bench
(dropped at the end, and first if left by an aborted run). The referrals, events
and outcomes are made in this process by the app itself (its test client: the API
as senders and services use it). The receivers are real HTTP servers on the
loopback (tests/support/servers.py): three that answer one header byte every half second
and never finish, and two healthy ones (the fourth sender's callback, the duty
lead's SMS webhook).

Each round, the phases interleaved (quiet, trickling, quiet, ...): in the trickling
phase, three new senders (new ports: no circuit of an earlier round applies) each
have an outcome queued, and the worker is seen to have claimed them; then the
fourth sender's outcome and a breach alert are queued at once. Latency: from the
commit of those two to their arrival at the receivers. Uses the Redis db given
(flushed before and after; no other db is touched).
"""
import sys  # noqa: E402  (first: the path must be right before anything imports queue)
from pathlib import Path  # noqa: E402

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import secrets  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402

import redis  # noqa: E402

from bench.intake import flask  # noqa: E402
from bench.servers import PG, pg_admin  # noqa: E402
from bench.sla import start_worker, stop_worker, wait_ready  # noqa: E402
from tests.support.data.referral_data import VALID_REFERRAL  # noqa: E402
from tests.support.servers import Healthy, Trickle  # noqa: E402

DB_NAME = "spoa_delivery_bench"
WAIT_S = 30.0  # a figure past this is reported as missed


def say(message):
    print(message, file=sys.stderr, flush=True)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--redis", default="redis://127.0.0.1:6379/3")
    p.add_argument("--json")
    return p.parse_args()


class Bench:
    def __init__(self, app, sms):
        from spoa.services.api_clients import create_api_client

        self.app, self.sms = app, sms
        self.http = app.test_client()
        with app.app_context():
            from spoa.extensions import db
            from spoa.models import NotificationChannel

            _, token, _ = create_api_client(name="crisis-team", sources=[], service="crisis_response",
                                            rate_limit_per_minute=100_000, by=None)
            db.session.add(NotificationChannel(recipient="service_duty_lead", channel="webhook", target=sms.url))
            db.session.commit()
        self.team = {"Authorization": f"Bearer {token}"}

    def sender(self, callback_url=None) -> dict:
        from spoa.services.api_clients import create_api_client

        with self.app.app_context():
            from spoa.extensions import db

            _, token, _ = create_api_client(name=f"sender-{uuid.uuid4().hex[:8]}", sources=["emas"], service=None,
                                            rate_limit_per_minute=100_000, by=None, callback_url=callback_url)
            db.session.commit()
        return {"Authorization": f"Bearer {token}"}

    def post(self, headers, **fields) -> str:
        body = {**VALID_REFERRAL, "source_reference": f"BENCH-{uuid.uuid4().hex[:12]}",
                "received_at": datetime.now(UTC).isoformat(), **fields}
        answer = self.http.post("/api/v1/referrals", json=body, headers=headers)
        assert answer.status_code == 201, answer.get_json()
        return answer.get_json()["id"]

    def accept(self, referral_id) -> None:
        answer = self.http.post(f"/api/v1/referrals/{referral_id}/events", json={"event": "accept"}, headers=self.team)
        assert answer.status_code == 200, answer.get_json()

    def claimed(self, referral_ids, timeout=15.0) -> bool:
        from sqlalchemy import select

        with self.app.app_context():
            from spoa.extensions import db
            from spoa.models import Notification

            ends = time.monotonic() + timeout
            while time.monotonic() < ends:
                found = db.session.scalars(select(Notification.status).where(
                    Notification.referral_id.in_([uuid.UUID(i) for i in referral_ids]),
                    Notification.audit_event_id.isnot(None))).all()
                db.session.rollback()
                if found and all(s != "pending" for s in found):
                    return True
                time.sleep(0.05)
        return False

    def round(self, trickling: bool) -> dict:
        trickles = [Trickle() for _ in range(3)] if trickling else []
        fourth = Healthy()
        try:
            slow = []
            for t in trickles:
                slow.append(self.post(self.sender(t.url)))
                self.accept(slow[-1])
            if trickles and not self.claimed(slow):
                say("  (the trickling outcomes were not claimed within 15 s)")
            fourth_sender, quiet_sender = self.sender(fourth.url), self.sender()
            told, breached = self.post(fourth_sender), None
            started = time.monotonic()
            self.accept(told)  # the fourth sender's outcome is queued (committed) here
            breached = self.post(quiet_sender, received_at=(datetime.now(UTC)
                                                             - timedelta(hours=2, seconds=5)).isoformat())
            alerted = time.monotonic()  # the breach (and its alert) committed with the intake
            outcome_at = fourth.wait_for(lambda b: b["data"]["referral_id"] == told, WAIT_S)
            alert_at = self.sms.wait_for(lambda b: b.get("referral_id") == breached and b.get("kind") == "breach",
                                         WAIT_S)
            return {"outcome_s": None if outcome_at is None else outcome_at - started,
                    "alert_s": None if alert_at is None else alert_at - alerted,
                    "trickling_connections": sum(t.connections for t in trickles)}
        finally:
            for r in trickles + [fourth]:
                r.close()


def summary(values):
    got = [v for v in values if v is not None]
    if not got:
        return "missed all"
    text = f"median {statistics.median(got):5.2f} s  max {max(got):5.2f} s"
    return text + (f"  ({len(values) - len(got)} missed)" if len(got) < len(values) else "")


def main():
    args = parse_args()
    from spoa import create_app
    from spoa.config import Config

    r = redis.Redis.from_url(args.redis)
    r.flushdb()
    pg_admin(f"DROP DATABASE IF EXISTS {DB_NAME}")
    pg_admin(f"CREATE DATABASE {DB_NAME}")
    env = {**os.environ, "DATABASE_URL": f"{PG}/{DB_NAME}", "REDIS_URL": args.redis,
           "SECRET_KEY": secrets.token_hex(16), "LIVE_CHANNEL": f"spoa:bench:{uuid.uuid4().hex}",
           "OUTBOUND_ALLOW_NETWORKS": "127.0.0.0/8", "RECONCILE_EVERY_SECONDS": "1", "LOG_FORMAT": "text",
           "DEMO_CREDENTIALS": os.path.join(tempfile.gettempdir(), f"spoa-bench-{uuid.uuid4().hex}.json")}
    flask(env, "db", "upgrade")
    app = create_app(Config(env))
    sms = Healthy()
    log = tempfile.NamedTemporaryFile(prefix="spoa-delivery-bench-", suffix=".log", delete=False).name
    worker = start_worker(env, log)
    results = {"quiet": [], "trickling": []}
    try:
        wait_ready([worker], r, [log])
        bench = Bench(app, sms)
        for i in range(args.rounds):
            for phase in ("quiet", "trickling"):
                results[phase].append(bench.round(phase == "trickling"))
                say(f"round {i + 1} {phase}: {results[phase][-1]}")
    finally:
        stop_worker(worker)
        sms.close()
        with app.app_context():
            from spoa.extensions import db

            db.engine.dispose()
        pg_admin(f"DROP DATABASE IF EXISTS {DB_NAME}")
        r.flushdb()
    timeout = app.config["DELIVERY_TIMEOUT_SECONDS"]
    print(f"delivery while receivers trickle ({args.rounds} rounds a phase; DELIVERY_TIMEOUT_SECONDS={timeout:g}, "
          f"DELIVERY_CONCURRENCY={app.config.get('DELIVERY_CONCURRENCY', 1)}; worker log {log})")
    print(f"{'':28}{'no receiver trickling':38}three receivers trickling")
    for key, label in (("outcome_s", "fourth sender's outcome"), ("alert_s", "breach alert (SMS webhook)")):
        print(f"{label:28}{summary([x[key] for x in results['quiet']]):38}"
              f"{summary([x[key] for x in results['trickling']])}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    print(json.dumps(results))
    missed = any(x[k] is None or x[k] > 10 for rows in results.values() for x in rows for k in ("outcome_s", "alert_s"))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
