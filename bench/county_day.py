"""A large county's day replayed faster than real time against the real system.

    .venv/bin/python bench/county_day.py [--referrals 3000] [--speed 20] [--hours 3] [--json out.json]

PostgreSQL (a throw-away database spoa_county_bench, migrated), a private
redis-server of its own (--redis-port, default 6391; db 15, flushed; the shared
Redis on 6379 is never touched, and this one is restarted during the run),
4 gunicorn web processes as production runs them (gunicorn.conf.py, through
bench/servers.py), 2 real workers (`flask --app wsgi spoa worker`,
RECONCILE_EVERY_SECONDS=1), and 30 signed-in supervisors' queue pages holding
/queue/events open for the whole run.

The day: --referrals referrals (default 3,000) spread over 24 hours with a
daily shape (quiet at night, busy late morning and evening; HOURLY below),
from every source and kind: the JSON API as emas, nhs111 and gp; FHIR BaRS
messages (tests/fhir/messages.py, JSON and XML); hospital discharges (intake
1.1) from the hospital's own system; and the staff form through the web, as a
call handler. Each referral then lives as its services would work it (PLAN):
the service's system reads it and fires acknowledge, accept, first_contact,
start_episode, review_episode (through the day), add_information and complete
through the API; its clinician opens the worklist and the referral page; some
are declined (a supervisor then routes them on, from the referral page), some
overridden, some withdrawn by the sender; a discharge's hospital records the
discharge (and a delay when it is past its ready date). Services declare
capacity through the day. --hours replays only part of the day (the busiest
window by default, or from --start-hour).

Time: the app's "now" is real time inside real processes, so the replay
compresses the schedule, not the clocks: an action at day offset t runs at
t / --speed real seconds. To make the clocks fall due within the compressed
day, every referral whose body carries received_at (the JSON API and the
discharges) is back-dated by --backdate minutes (default: 2 h x (1 - 1/speed),
114 min at 20x), so a 2-hour first-contact clock falls due 2 h / speed real
(6 min at 20x) after the referral arrives, as it would in the compressed day.
Longer clocks fall due later than the compressed day would have them (a 4 h
clock: 2 h 6 min real after arrival at 20x), shorter ones at once (the 30 min
supervisor-review triage clock is already past when such a referral arrives).
FHIR and form referrals carry no received_at: their clocks run in real time.

During the run: one worker is killed (SIGKILL) at 40% of it and restarted 2 s
later; the private Redis is restarted (SIGKILL, no persistence) at 60%. A
worker that exits unexpectedly is restarted, as a process supervisor would.

Figures: intake latency p50/p95/p99 by kind; page latency (queue first
render, referral page, worklist); breach lag (clock_effects.recorded_at -
due_at, for breaches whose deadline was still ahead when the referral
arrived); event latency to the open pages (arrival - the commit stamp the
publisher puts on each change, as bench/queue.py measures); how late the
driver ran. Integrity (exit 1 on any failure): every referral sent stored
exactly once (by source_reference); every threshold recorded once (unique
(clock, kind, level)) and every clock past its deadline and not stopped before
it has its breach; every notification delivered or failed, not both, none
pending past its lease; every open page ends showing exactly the referrals a
fresh queue render shows (having seen every change, or resynced).
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
import copy  # noqa: E402
import heapq  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import secrets  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402

import psycopg2  # noqa: E402
import redis  # noqa: E402
import requests  # noqa: E402
import urllib3  # noqa: E402

from bench import servers  # noqa: E402
from bench.intake import FHIR_DOS_ID, PG, admin, flask, percentile  # noqa: E402
from bench.load import variants  # noqa: E402

DB_NAME = "spoa_county_bench"
REDIS_DB = 15
PASSWORD = "bench password 1"  # noqa: S105 (a throw-away database)
USER_AGENT = "spoa-bench-county"
HOSPITAL = ("RNS01", "Northampton General Hospital")
# Referrals an hour of the day, relative: night quiet, a late-morning peak, an evening one.
HOURLY = [2, 1.5, 1, 1, 1, 1.5, 2.5, 4, 6, 8, 9.5, 10, 9, 7.5, 6.5, 6, 6.5, 7.5, 9, 9.5, 8, 6, 4.5, 3]
# The sources and kinds, with their share of the day.
KINDS = (("api-emas", 0.22), ("api-nhs111", 0.18), ("api-gp", 0.18), ("fhir-json", 0.10), ("fhir-xml", 0.04),
         ("discharge", 0.16), ("form", 0.12))
MIX = {"api-emas": ["ucr-condition", "ucr-condition", "red-flag"],
       "api-nhs111": ["rehab-bed", "fallback", "mh-urgent"],
       "api-gp": ["rehab-home", "vcs-duty", "ucr-condition"]}
TARGETS = {"intake_p99_ms": 500.0, "page_p99_ms": 1000.0, "breach_lag_p99_s": 2.0, "event_p99_s": 1.0}
ERRORS_KEPT = 12
CHAOS_SHADOW = 30  # seconds after a disruption whose figures the "calm" lines leave out


# ---------------------------------------------------------------- the day's plan
def day_offsets(n, rng):
    """n arrival times (seconds into the day) drawn from HOURLY's shape."""
    total = sum(HOURLY)
    out = []
    for _ in range(n):
        x, hour = rng.random() * total, 0
        while x > HOURLY[hour]:
            x -= HOURLY[hour]
            hour += 1
        out.append(3600 * (hour + rng.random()))
    return sorted(out)


def busiest_start(hours):
    """The start hour of the busiest window of this length (whole hours, wrapping not allowed)."""
    span = max(1, round(hours))
    return max(range(0, 25 - span), key=lambda h: sum(HOURLY[h:h + span]))


def plan_referral(kind, rng):
    """What happens to one referral after intake: (minutes after arrival, action, extra)."""
    steps, t = [], rng.uniform(2, 8)
    steps.append((t, "read", None))  # the service's system fetches the offer
    steps.append((t + 0.5, "event", "acknowledge"))
    steps.append((t + 1, "worklist", None))  # the clinician looks at the worklist
    fate = rng.random()
    if fate < 0.05:
        steps.append((t + rng.uniform(5, 20), "event", "decline"))
        steps.append((t + rng.uniform(25, 40), "supervisor_route", None))  # back in review: routed on from the page
        return steps + _work(t + 45, kind, rng)
    if fate < 0.08:
        steps.append((t + rng.uniform(5, 15), "supervisor_override", None))
        return steps + _work(t + 20, kind, rng)
    if fate < 0.12:
        steps.append((t + rng.uniform(5, 60), "withdraw", None))
        return steps
    return steps + _work(t + rng.uniform(5, 25), kind, rng)


def _work(t, kind, rng):
    steps = [(t, "page", None), (t + 0.5, "event", "accept")]
    t += rng.uniform(15, 110)  # some miss the 2-hour first contact
    if kind == "discharge":
        steps.append((t - 5, "discharged", None))
    steps += [(t, "event", "first_contact"), (t + 10, "event", "start_episode")]
    t += 10
    for _ in range(rng.randint(8, 12)):  # reviews and notes through the episode
        t += rng.uniform(20, 45)
        steps.append((t, "event", "review_episode"))
        if rng.random() < 0.25:
            steps.append((t + 1, "page", None))
    steps.append((t + 5, "event", "add_information"))
    steps.append((t + rng.uniform(30, 240), "event", "complete"))
    return steps


# ---------------------------------------------------------------- bodies
def api_body(kind, variant, ref, received_at):
    body = dict(variants()[variant], source_reference=ref, received_at=received_at)
    if kind == "api-emas" and body["source"] != "emas":
        body["source"] = "emas"
    return body


def discharge_body(ref, received_at, rng):
    from datetime import date

    today = date.today()
    late = rng.random() < 0.3  # past its discharge ready date: a delay is recorded
    return {
        "source": "acute", "source_reference": ref, "kind": "discharge", "received_at": received_at,
        "referrer": {"name": "Ward sister", "organisation": HOSPITAL[1], "ods_code": HOSPITAL[0]},
        "patient": {"given_name": "Bench", "family_name": "Inpatient", "date_of_birth": "1936-09-12",
                    "postcode": "NN2 6LS", "lives_alone": False},
        "consent": True, "observations": {"news2": 1},
        "discharge": {
            "hospital_ods": HOSPITAL[0], "hospital_name": HOSPITAL[1], "ward": "Talbot Butler",
            "admitted_on": (today - timedelta(days=6)).isoformat(),
            "discharge_ready_date": (today - timedelta(days=1 if late else 0)).isoformat(),
            "proposed_pathway": rng.choice([1, 1, 2, 3]), "usual_residence": "home",
            "needs": {"personal_care": False, "night_care": False, "two_carers": False,
                      "rehab_goals": True, "mobility": "with_aid"},
            "care_package": "none", "patient_wishes": "Wants to go home.",
        },
    }, late


FORM = {"source": "gp", "referrer.name": "Dr A Khan", "patient.given_name": "Ada", "patient.family_name": "Lovelace",
        "patient.date_of_birth": "1938-03-14", "patient.postcode": "nn1 5bd", "presenting_need": "fall_no_injury",
        "consent": "yes", "observations.news2": "2", "duplicate_choice": "new"}


# ---------------------------------------------------------------- processes
class Procs:
    """The private Redis, the web server and the workers; logs in one directory."""

    def __init__(self, env, logdir, redis_port, web_workers):
        self.env, self.logdir, self.redis_port = env, logdir, redis_port
        self.redis = self.web = None
        self.workers = [None, None]
        self.web_workers = web_workers
        self.restarts = []  # (what, when)
        self.lock = threading.Lock()
        self.expected_down = set()

    def start_redis(self):
        log = open(f"{self.logdir}/redis.log", "ab")
        self.redis = subprocess.Popen(["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
                                       "--save", "", "--appendonly", "no", "--daemonize", "no"],
                                      stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        r = redis.Redis(port=self.redis_port, db=REDIS_DB)
        for _ in range(100):
            try:
                r.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def start_worker(self, i):
        log = open(f"{self.logdir}/worker{i}.log", "ab")
        self.workers[i] = subprocess.Popen([str(servers.BIN / "flask"), "--app", "wsgi", "spoa", "worker"],
                                           cwd=ROOT, env={**self.env, "RECONCILE_EVERY_SECONDS": "1"},
                                           stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def start_web(self, port):
        self.port = port
        self.web = servers.start_configured("wsgi:app", port, {**self.env, "WEB_WORKERS": str(self.web_workers)},
                                            f"{self.logdir}/gunicorn.log")
        servers.wait_healthy(self.web, port, f"{self.logdir}/gunicorn.log")

    def kill_worker(self, i):
        with self.lock:
            self.expected_down.add(i)
            os.kill(self.workers[i].pid, signal.SIGKILL)
            self.workers[i].wait()
            self.restarts.append(("worker killed (SIGKILL)", time.time()))
        time.sleep(2)
        with self.lock:
            self.start_worker(i)
            self.expected_down.discard(i)
            self.restarts.append(("worker restarted", time.time()))

    def restart_redis(self):
        os.kill(self.redis.pid, signal.SIGKILL)  # no persistence: queues, schedules and counters are gone
        self.redis.wait()
        self.restarts.append(("redis killed", time.time()))
        time.sleep(1)
        self.start_redis()
        self.restarts.append(("redis restarted", time.time()))

    def supervise(self):
        """As systemd would: a worker that died unasked is started again (counted)."""
        with self.lock:
            for i, w in enumerate(self.workers):
                if w is not None and w.poll() is not None and i not in self.expected_down:
                    self.restarts.append((f"worker {i} exited by itself ({w.returncode}), restarted", time.time()))
                    self.start_worker(i)

    def stop(self):
        for w in self.workers:
            if w is not None and w.poll() is None:
                w.terminate()
        for w in self.workers:
            if w is not None:
                try:
                    w.wait(8)
                except subprocess.TimeoutExpired:
                    os.killpg(w.pid, signal.SIGKILL)
        servers.stop(self.web)
        if self.redis is not None and self.redis.poll() is None:
            self.redis.terminate()
            self.redis.wait(5)


# ---------------------------------------------------------------- the open pages
class Page(threading.Thread):
    """One supervisor's queue page: its stream, the rows it believes open, and when changes arrived.
    A stream that ends is reopened, as the browser's EventSource does (retry: 2000)."""

    ROW = re.compile(r'data-id="([0-9a-f-]{36})"')

    def __init__(self, base, cookie):
        super().__init__(daemon=True)
        self.base, self.cookie = base, cookie
        self.open_ids, self.latencies, self.arrived = set(), [], []
        self.snapshots = self.reconnects = self.events = 0
        self.first = threading.Event()
        self.stop, self.failure = False, None
        self.lock = threading.Lock()

    def run(self):
        while not self.stop:
            try:
                self._read()
            except (requests.RequestException, OSError):
                pass
            except Exception as exc:  # noqa: BLE001 (a page that cannot read its stream is a failure, shown)
                self.failure = repr(exc)
            if not self.stop:
                self.reconnects += 1
                time.sleep(2)

    def _read(self):
        s = requests.Session()
        s.headers["User-Agent"] = USER_AGENT
        s.cookies.update(copy.deepcopy(self.cookie))
        response = s.get(f"{self.base}/queue/events", stream=True, timeout=(10, 60))
        name = None
        for line in response.iter_lines(chunk_size=1 << 16, decode_unicode=True):
            if self.stop:
                return
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                received = time.time()
                data = json.loads(line[6:])
                with self.lock:
                    if name == "snapshot":
                        lanes = data["lanes"]
                        self.open_ids = set(self.ROW.findall("".join(lanes.values()) if isinstance(lanes, dict)
                                                             else lanes))
                        self.snapshots += 1
                        self.first.set()
                    elif name in ("row", "gone"):
                        self.events += 1
                        (self.open_ids.add if name == "row" else self.open_ids.discard)(data["id"])
                        if data.get("committed_at"):
                            self.latencies.append(received - data["committed_at"])
                            self.arrived.append(received)
                    elif name == "capacity" and data.get("committed_at"):
                        self.latencies.append(received - data["committed_at"])
                        self.arrived.append(received)


# ---------------------------------------------------------------- the driver
class Driver:
    def __init__(self, args, base, creds, dsn):
        self.args, self.base, self.creds, self.dsn = args, base, creds, dsn
        self.heap, self.cv = [], threading.Condition()
        self.seq = 0
        self.local = threading.local()
        self.lock = threading.Lock()
        self.lat, self.when = {}, {}  # what -> [seconds], [when it ended]
        self.late = []  # how late each action started (s)
        self.errors, self.error_samples = {}, []
        self.sent = {}  # source_reference -> kind
        self.counts = {}
        self.pending = 0
        self.done = False

    # -- scheduling
    def at(self, due, fn, *a):
        with self.cv:
            self.seq += 1
            heapq.heappush(self.heap, (due, self.seq, fn, a))
            self.pending += 1
            self.cv.notify()

    def worker(self):
        while True:
            with self.cv:
                while True:
                    if self.done and not self.heap:
                        return
                    if self.heap and self.heap[0][0] <= time.time():
                        due, _, fn, a = heapq.heappop(self.heap)
                        break
                    self.cv.wait(timeout=min(0.5, max(0.005, self.heap[0][0] - time.time())) if self.heap else 0.5)
            self.late.append(time.time() - due)
            try:
                fn(*a)
            except Exception as exc:  # noqa: BLE001 (a bench: counted and shown, never fatal)
                self.error("driver", f"{type(exc).__name__}: {exc}")
            finally:
                with self.cv:
                    self.pending -= 1

    def real(self, day_seconds):
        return self.t0 + (day_seconds - self.window_start) / self.args.speed

    # -- recording
    def record(self, what, seconds):
        with self.lock:
            self.lat.setdefault(what, []).append(seconds)
            self.when.setdefault(what, []).append(time.time())

    def count(self, what):
        with self.lock:
            self.counts[what] = self.counts.get(what, 0) + 1

    def error(self, what, text):
        with self.lock:
            key = f"{what}: {text[:60]}"
            self.errors[key] = self.errors.get(key, 0) + 1
            if len(self.error_samples) < ERRORS_KEPT:
                self.error_samples.append(f"{what}: {text[:300]}")

    # -- connections (one of each per driver thread)
    def session(self, who):
        sessions = getattr(self.local, "sessions", None)
        if sessions is None:
            sessions = self.local.sessions = {}
        s = sessions.get(who)
        if s is None:
            s = sessions[who] = requests.Session()
            # A keep-alive connection the server closed just as a request went out: a GET
            # is sent again, as a browser would; a POST is not (its failure is counted).
            s.mount("http://", requests.adapters.HTTPAdapter(max_retries=urllib3.Retry(
                total=1, connect=1, read=1, allowed_methods=frozenset({"GET"}), status=0)))
            s.headers["User-Agent"] = USER_AGENT
            if who in self.creds["cookies"]:
                # The signed-in jar itself (its domain and path), so the server's next
                # Set-Cookie replaces this cookie rather than adding a second "session".
                s.cookies.update(copy.deepcopy(self.creds["cookies"][who]))
            else:
                s.headers["Authorization"] = f"Bearer {self.creds['tokens'][who]}"
        return s

    def db(self):
        conn = getattr(self.local, "conn", None)
        if conn is None or conn.closed:
            conn = self.local.conn = psycopg2.connect(self.dsn)
            conn.autocommit = True
        return conn

    def timed(self, what, who, method, path, ok=(200,), **kw):
        s = self.session(who)
        t = time.perf_counter()
        try:
            r = s.request(method, f"{self.base}{path}", timeout=30, allow_redirects=False, **kw)
        except requests.RequestException as exc:
            self.error(what, repr(exc))
            return None
        took = time.perf_counter() - t
        if r.status_code not in ok:
            self.error(what, f"{r.status_code} {r.text[:200]}")
            return None
        self.record(what, took)
        self.count(what)
        return r

    # -- intake
    def intake(self, kind, i, rng_seed):
        rng = random.Random(rng_seed)
        # A FHIR message's source_reference is its X-Request-ID, a UUID in BaRS.
        ref = str(uuid.uuid4()) if kind.startswith("fhir") else f"CTY-{kind}-{i}-{secrets.token_hex(3)}"
        received_at = (datetime.now(UTC) - timedelta(minutes=self.args.backdate)).isoformat()
        late = False
        with self.lock:
            self.sent[ref] = kind
        if kind.startswith("api-"):
            body = api_body(kind, rng.choice(MIX[kind]), ref, received_at)
            r = self.timed(f"intake {kind}", "sender", "POST", "/api/v1/referrals", ok=(201,), json=body)
            rid = r.json()["id"] if r is not None else None
        elif kind.startswith("fhir"):
            from tests.fhir.messages import own_message

            if rng.random() < 0.6:
                bundle = own_message(conditions=[("1912002", "Fall at home")])
            else:
                bundle = own_message(dx="Dx05")
            headers = {"X-Request-ID": ref, "X-Correlation-ID": str(uuid.uuid4())}
            if kind == "fhir-xml":
                from fhir.resources.R4B.bundle import Bundle

                data = Bundle.model_validate(bundle).model_dump_xml()
                headers["Content-Type"] = "application/fhir+xml"
            else:
                data = json.dumps(bundle).encode()
                headers["Content-Type"] = "application/fhir+json"
            r = self.timed(f"intake {kind}", "fhir", "POST", "/fhir/$process-message", data=data, headers=headers)
            rid = self.referral_id(ref) if r is not None else None
        elif kind == "discharge":
            body, late = discharge_body(ref, received_at, rng)
            r = self.timed("intake discharge", "hospital", "POST", "/api/v1/referrals", ok=(201,), json=body)
            rid = r.json()["id"] if r is not None else None
        else:  # the call handler's form: open it, fill it in, save
            page = self.timed("page form", "handler", "GET", "/referrals/new")
            if page is None:
                return
            form = dict(FORM, source_reference=ref, csrf_token=csrf(page.text))
            sub = re.search(r'name="submission_id"[^>]*value="([^"]+)"', page.text)
            if sub:
                form["submission_id"] = sub.group(1)
            r = self.timed("intake form", "handler", "POST", "/referrals/new", ok=(302, 303), data=form)
            rid = None
            if r is not None:
                m = re.search(r"/referrals/([0-9a-f-]{36})", r.headers.get("Location", ""))
                rid = m.group(1) if m else None
        if rid is None:
            return
        born = time.time()
        steps = plan_referral(kind, rng)
        if late:
            steps.insert(1, (steps[0][0] + 0.7, "delay", None))
        self.follow(rid, kind, born, steps, 0)

    def referral_id(self, ref):
        with self.db().cursor() as cur:
            cur.execute("SELECT id FROM referrals WHERE source_reference = %s", (ref,))
            row = cur.fetchone()
        return str(row[0]) if row else None

    # -- a referral's life: each step after the one before, at its planned time
    def follow(self, rid, kind, born, steps, k):
        if k >= len(steps):
            return
        minutes = steps[k][0]
        due = born + minutes * 60 / self.args.speed
        if due > self.end_at:
            self.count("steps beyond the window (not done)")
            return
        self.at(due, self.step, rid, kind, born, steps, k)

    def step(self, rid, kind, born, steps, k):
        _, action, extra = steps[k]
        state, route, service, version = self.where(rid)
        go_on = True
        if state in ("completed", "redirected", "cancelled", "withdrawn"):
            self.count(f"closed before {action}")
            return
        holder = service or route
        who = f"svc:{holder}" if f"svc:{holder}" in self.creds["tokens"] else None
        if action == "read":
            if who and state != "in_review":
                self.timed("api read", who, "GET", f"/api/v1/referrals/{rid}")
        elif action == "event":
            if state == "in_review":
                self.supervisor_event(rid, "triage", version, route="crisis_response")
                state, route, service, version = self.where(rid)
                holder = service or route
                who = f"svc:{holder}" if f"svc:{holder}" in self.creds["tokens"] else None
            if who is None:
                self.count(f"no service system for {holder}")
                return
            body = {"event": extra}
            if extra in ("decline", "add_information"):
                body["reason"] = "No capacity in this locality" if extra == "decline" else "Carer called with an update"
            r = self.timed(f"event {extra}", who, "POST", f"/api/v1/referrals/{rid}/events", ok=(200, 409), json=body)
            if r is not None and r.status_code == 409:
                self.count(f"refused 409 {extra} ({state}, {route})")
        elif action == "worklist":
            clinician = f"clin:{holder}"
            if clinician in self.creds["cookies"]:
                self.timed("page worklist", clinician, "GET", f"/worklist?service={holder}")
        elif action == "page":
            clinician = f"clin:{holder}"
            self.timed("page referral", clinician if clinician in self.creds["cookies"] else "sup00",
                       "GET", f"/referrals/{rid}")
        elif action == "supervisor_route":
            self.supervisor_event(rid, "triage" if state == "in_review" else "override", version,
                                  route="home_rehab" if route != "home_rehab" else "crisis_response")
        elif action == "supervisor_override":
            self.supervisor_event(rid, "override", version, route="crisis_response" if route != "crisis_response"
                                  else "home_rehab")
        elif action == "withdraw":
            sender = "hospital" if kind == "discharge" else ("fhir" if kind.startswith("fhir") else "sender")
            if kind == "form":  # no sending system: the supervisor withdraws it for the caller
                self.supervisor_event(rid, "withdraw", version, reason="The caller rang back: admitted")
            else:
                self.timed("event withdraw", sender, "POST", f"/api/v1/referrals/{rid}/events",
                           ok=(200,), json={"event": "withdraw", "reason": "Admitted to hospital"})
            go_on = False
        elif action in ("discharged", "delay"):
            body = {"event": action}
            if action == "delay":
                body["reason"] = self.creds["delay_reason"]
            r = self.timed(f"event {action}", "hospital", "POST", f"/api/v1/referrals/{rid}/events", ok=(200, 409),
                           json=body)
            if r is not None and r.status_code == 409:
                self.count(f"refused 409 {action}")
        if go_on:
            self.follow(rid, kind, born, steps, k + 1)

    def where(self, rid):
        with self.db().cursor() as cur:
            cur.execute("SELECT state, route, assigned_service, version FROM referrals WHERE id = %s", (rid,))
            return cur.fetchone()

    def supervisor_event(self, rid, event, version, route=None, reason=None):
        who = f"sup{random.randrange(self.args.pages):02d}"
        page = self.timed("page referral", who, "GET", f"/referrals/{rid}")
        if page is None:
            return
        form = {"event": event, "version": str(version), "csrf_token": csrf(page.text),
                "next": f"/referrals/{rid}"}
        if route:
            form["route"] = route
        if event != "triage":
            form["reason"] = reason or "Better placed with this team"
        self.timed(f"page event {event}", who, "POST", f"/referrals/{rid}/events", ok=(302, 303), data=form)

    def declare(self, code):
        total = random.randint(6, 20)
        self.timed("capacity declaration", f"svc:{code}", "PUT", f"/api/v1/services/{code}/capacity",
                   json={"total": total, "in_use": random.randint(0, total)} if code in self.creds["clinical"]
                   else {"total": total})

    def queue_render(self, who):
        r = self.timed("page queue", who, "GET", "/queue")
        if r is not None:
            m = re.search(r"dur=([\d.]+)", r.headers.get("Server-Timing", ""))
            if m:
                self.record("queue server time", float(m.group(1)) / 1000)


def csrf(html):
    m = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    return m.group(1) if m else ""


# ---------------------------------------------------------------- setup
def seed(env, pages):
    """Services, users and clients, in this process: demo.seed's services, rota and
    staff, then the bench's own senders, service systems, supervisors and clinicians."""
    os.environ.update(env)
    from sqlalchemy import select

    from spoa import create_app
    from spoa.cli import demo
    from spoa.config import Config
    from spoa.extensions import db
    from spoa.models import ApiClient, Service, User

    app = create_app(Config(env))
    tokens, users = {}, []
    with app.app_context():
        demo.seed()
        for name, fields in {"sender": {"sources": ["emas", "gp", "nhs111"]}, "fhir": {"sources": ["nhs111"]},
                             "hospital": {"sources": ["acute"], "hospital_ods": HOSPITAL[0]}}.items():
            client, tokens[name] = ApiClient.issue(name=f"county-{name}", **fields)
            db.session.add(client)
        services = list(db.session.scalars(select(Service)))
        clinical = [s.code for s in services if s.kind != "voluntary"]
        for s in services:
            client, tokens[f"svc:{s.code}"] = ApiClient.issue(name=f"county-svc-{s.code}", service=s.code)
            db.session.add(client)
            users.append((f"clin:{s.code}", User(username=f"clin_{s.code}"[:40], role="clinician", service=s.code)))
        users.append(("handler", User(username="county_handler", role="call_handler")))
        users += [(f"sup{i:02d}", User(username=f"sup{i:02d}", role="supervisor")) for i in range(pages)]
        for _, user in users:
            user.set_password(PASSWORD)
            db.session.add(user)
        db.session.commit()
        from spoa.domain.policy import current_policy

        reasons = current_policy().discharge.delay_reasons
    names = {key: user.username for key, user in users}
    delay_reason = next(iter(reasons)) if reasons else None
    return tokens, names, [s.code for s in services], clinical, delay_reason


def sign_in(base, username):
    s = requests.Session()
    s.headers["User-Agent"] = USER_AGENT
    page = s.get(f"{base}/login", timeout=10).text
    r = s.post(f"{base}/login", data={"username": username, "password": PASSWORD, "csrf_token": csrf(page)},
               allow_redirects=False, timeout=30)
    assert r.status_code == 302, (username, r.status_code)
    return s.cookies


# ---------------------------------------------------------------- checks
def integrity(dsn, sent, end_time):
    problems, facts = [], {}
    conn = psycopg2.connect(dsn)
    with conn.cursor() as cur:
        cur.execute("SELECT source_reference, count(*) FROM referrals WHERE source_reference = ANY(%s) "
                    "GROUP BY source_reference", (list(sent),))
        stored = dict(cur.fetchall())
        twice = [r for r, n in stored.items() if n > 1]
        lost = [r for r in sent if r not in stored]
        facts["referrals_sent"], facts["referrals_stored"] = len(sent), sum(stored.values())
        if twice:
            problems.append(f"{len(twice)} referrals stored more than once, e.g. {twice[:3]}")
        if lost:
            problems.append(f"{len(lost)} referrals sent and not stored, e.g. {lost[:3]}")
        cur.execute("SELECT count(*) FROM (SELECT clock_id, kind, level FROM clock_effects "
                    "GROUP BY 1, 2, 3 HAVING count(*) > 1) d")
        dup = cur.fetchone()[0]
        if dup:
            problems.append(f"{dup} thresholds recorded more than once")
        # Past its deadline and still running 3 s after it was due (the deadline, or its
        # creation when back-dating made it due at once): it must have its breach. An
        # "at once" triage clock met in intake's own transaction never ran past due.
        cur.execute("""SELECT count(*) FROM clocks c WHERE c.deadline < %s
                         AND coalesce(c.met_at, c.cancelled_at, 'infinity')
                             > greatest(c.deadline, c.created_at) + interval '3 seconds'
                         AND NOT EXISTS (SELECT 1 FROM clock_effects e WHERE e.clock_id = c.id
                                         AND e.kind = 'breach')""",
                    (end_time - timedelta(seconds=5),))
        unbreached = cur.fetchone()[0]
        if unbreached:
            problems.append(f"{unbreached} clocks past their deadline without a breach")
        cur.execute("SELECT count(*), count(*) FILTER (WHERE kind = 'breach') FROM clock_effects")
        facts["thresholds_recorded"], facts["breaches"] = cur.fetchone()
        cur.execute("SELECT channel, status, count(*) FROM notifications GROUP BY 1, 2 ORDER BY 1, 2")
        facts["notifications"] = {f"{c} {s}": n for c, s, n in cur.fetchall()}
        cur.execute("SELECT count(*) FROM notifications WHERE status NOT IN ('delivered', 'failed') "
                    "AND (next_attempt_at IS NULL OR next_attempt_at < %s)", (end_time - timedelta(seconds=30),))
        stuck = cur.fetchone()[0]
        if stuck:
            problems.append(f"{stuck} notifications neither delivered nor failed, past their lease")
        cur.execute("""SELECT count(*) FROM notifications n WHERE
                         (n.status = 'failed' AND n.delivered_at IS NOT NULL)
                         OR (SELECT count(*) FROM delivery_attempts a WHERE a.notification_id = n.id AND a.ok) > 1""")
        both = cur.fetchone()[0]
        if both:
            problems.append(f"{both} notifications both delivered and failed, or delivered twice")
        cur.execute("""SELECT extract(epoch FROM e.recorded_at - e.due_at) FROM clock_effects e
                         JOIN clocks c ON c.id = e.clock_id
                        WHERE e.kind = 'breach' AND e.due_at > c.created_at""")
        facts["breach_lag"] = sorted(float(x) for (x,) in cur.fetchall())
        cur.execute("SELECT state, count(*) FROM referrals WHERE source_reference = ANY(%s) GROUP BY 1 ORDER BY 1",
                    (list(sent),))
        facts["states"] = dict(cur.fetchall())
        cur.execute("SELECT count(*) FROM audit_events")
        facts["audit_events"] = cur.fetchone()[0]
    conn.close()
    return problems, facts


def summary(values):
    values = sorted(values)
    if not values:
        return {"n": 0}
    return {"n": len(values), "p50": percentile(values, 0.5), "p95": percentile(values, 0.95),
            "p99": percentile(values, 0.99), "max": values[-1]}


# ---------------------------------------------------------------- main
def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--referrals", type=int, default=3000, help="referrals in the whole day (default 3000)")
    p.add_argument("--speed", type=float, default=20, help="times faster than real time (default 20)")
    p.add_argument("--hours", type=float, default=24, help="hours of the day to replay (default 24)")
    p.add_argument("--start-hour", type=float, help="the window's first hour (default: the busiest window)")
    p.add_argument("--backdate", type=float, help="minutes received_at is back-dated (default 120 x (1 - 1/speed))")
    p.add_argument("--pages", type=int, default=30, help="supervisors' open queue pages (default 30)")
    p.add_argument("--web-workers", type=int, default=4, help="gunicorn processes (default 4)")
    p.add_argument("--threads", type=int, default=32, help="driver threads (default 32)")
    p.add_argument("--redis-port", type=int, default=6391, help="the private redis-server's port (default 6391)")
    p.add_argument("--no-chaos", action="store_true", help="do not kill a worker or restart Redis")
    p.add_argument("--seed", type=int, default=16)
    p.add_argument("--json", help="also write the figures to this file")
    p.add_argument("--keep", action="store_true", help="keep the database and logs afterwards")
    args = p.parse_args()
    if args.backdate is None:
        args.backdate = 120 * (1 - 1 / args.speed)
    if not 0 <= args.backdate < 23 * 60:
        p.error("--backdate must stay inside the 24-hour receipt window")
    return args


def main():
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    rng = random.Random(args.seed)
    if args.start_hour is not None:
        start_hour = args.start_hour
    else:
        start_hour = 0 if args.hours >= 24 else busiest_start(args.hours)
    window = (3600 * start_hour, 3600 * min(24, start_hour + args.hours))
    arrivals = [t for t in day_offsets(args.referrals, rng) if window[0] <= t < window[1]]
    run_seconds = (window[1] - window[0]) / args.speed
    redis_url = f"redis://127.0.0.1:{args.redis_port}/{REDIS_DB}"
    env = {**os.environ, "DATABASE_URL": f"{PG}/{DB_NAME}", "REDIS_URL": redis_url,
           "SECRET_KEY": secrets.token_hex(32), "LIVE_CHANNEL": f"spoa:queue:county:{secrets.token_hex(4)}",
           "API_RATE_LIMIT_PER_MINUTE": "100000000", "SPOA_DOS_SERVICE_IDS": FHIR_DOS_ID,
           "WEB_LOG_LEVEL": "warning", "WEB_ACCESS_LOG": "/dev/null", "RECONCILE_EVERY_SECONDS": "1"}
    logdir = tempfile.mkdtemp(prefix="spoa-bench-county-")
    env["DEMO_CREDENTIALS"] = f"{logdir}/demo-credentials.json"
    print(f"county day: {len(arrivals)} of {args.referrals} referrals in hours {start_hour:g}-{window[1] / 3600:g} "
          f"at {args.speed:g}x: {run_seconds / 60:.1f} min real; received_at back-dated {args.backdate:.0f} min; "
          f"logs {logdir}", flush=True)
    print(f"uptime before: {os.getloadavg()}", flush=True)
    procs, pages, flagged = Procs(env, logdir, args.redis_port, args.web_workers), [], True
    try:
        admin(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        admin(f'CREATE DATABASE "{DB_NAME}"')
        procs.start_redis()
        redis.Redis.from_url(redis_url).flushdb()  # db 15 of the private server only
        flask(env, "db", "upgrade")
        tokens, names, codes, clinical, delay_reason = seed(env, args.pages)
        port = servers.free_port()
        procs.start_web(port)
        procs.start_worker(0)
        procs.start_worker(1)
        base = f"http://127.0.0.1:{port}"
        cookies = {key: sign_in(base, name) for key, name in names.items()}
        creds = {"tokens": tokens, "cookies": cookies, "clinical": set(clinical), "delay_reason": delay_reason}
        pages = [Page(base, cookies[f"sup{i:02d}"]) for i in range(args.pages)]
        for page in pages:
            page.start()
        for page in pages:
            if not page.first.wait(60):
                raise RuntimeError("a queue page got no snapshot")
        print(f"{args.pages} queue pages open; replaying ...", flush=True)

        driver = Driver(args, base, creds, f"{PG}/{DB_NAME}")
        driver.window_start = window[0]
        driver.t0 = time.time() + 1
        driver.end_at = driver.t0 + run_seconds
        kinds = [k for k, _ in KINDS]
        weights = [w for _, w in KINDS]
        for i, t in enumerate(arrivals):
            driver.at(driver.real(t), driver.intake, rng.choices(kinds, weights)[0], i, rng.random())
        # Capacity: each service declares every 30-90 day-minutes; each supervisor reloads the queue hourly.
        for code in codes:
            t = window[0] + rng.uniform(0, 1800)
            while t < window[1]:
                driver.at(driver.real(t), driver.declare, code)
                t += rng.uniform(1800, 5400)
        for i in range(args.pages):
            t = window[0] + rng.uniform(0, 3600)
            while t < window[1]:
                driver.at(driver.real(t), driver.queue_render, f"sup{i:02d}")
                t += 3600
        threads = [threading.Thread(target=driver.worker, daemon=True) for _ in range(args.threads)]
        for t in threads:
            t.start()
        chaos = [] if args.no_chaos else [(0.4, lambda: procs.kill_worker(0)), (0.6, procs.restart_redis)]
        last = 0
        while time.time() < driver.end_at:
            time.sleep(0.5)
            procs.supervise()
            while chaos and time.time() >= driver.t0 + chaos[0][0] * run_seconds:
                chaos.pop(0)[1]()
            if time.time() - last > 30:
                last = time.time()
                print(f"  {100 * (time.time() - driver.t0) / run_seconds:5.1f}%  sent {len(driver.sent)}, "
                      f"queued {driver.pending}, errors {sum(driver.errors.values())}", flush=True)
        with driver.cv:
            driver.done = True
            driver.cv.notify_all()
        for t in threads:
            t.join(120)
        # Let the workers finish what fell due (reconcile each second; deliveries), then check.
        time.sleep(8)
        procs.supervise()
        end_time = datetime.now(UTC)
        fresh = set(Page.ROW.findall(requests.get(f"{base}/queue", cookies=copy.deepcopy(cookies["sup00"]),
                                                  headers={"User-Agent": USER_AGENT}, timeout=60).text))
        time.sleep(2)
        problems, facts = integrity(f"{PG}/{DB_NAME}", driver.sent, end_time)
        page_problems = sum(1 for p in pages if p.open_ids != fresh)
        problems += [f"a page's reader failed: {p.failure}" for p in pages if p.failure][:3]
        if page_problems:
            worst = max(pages, key=lambda p: len(p.open_ids ^ fresh))
            problems.append(f"{page_problems} of {len(pages)} pages differ from a fresh render "
                            f"(worst by {len(worst.open_ids ^ fresh)} rows: missing "
                            f"{sorted(fresh - worst.open_ids)[:3]}, extra {sorted(worst.open_ids - fresh)[:3]})")
        for p in pages:
            p.stop = True
        flagged = report(args, driver, pages, procs, facts, problems, len(fresh), len(arrivals), start_hour, window)
        return 1 if problems else 0
    finally:
        for p in pages:
            p.stop = True
        procs.stop()
        if not args.keep:
            admin(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        if flagged or args.keep:
            print(f"logs kept in {logdir}", file=sys.stderr)
        else:
            shutil.rmtree(logdir, ignore_errors=True)


def report(args, driver, pages, procs, facts, problems, fresh_rows, arrivals, start_hour, window):
    ms = lambda v: f"{1000 * v:8.0f}" if v == v else "       -"  # noqa: E731
    print(f"\nSPOA county day: {arrivals} referrals (of {args.referrals} a day) in hours {start_hour:g}-"
          f"{window[1] / 3600:g}, {args.speed:g}x; {args.web_workers} web processes, 2 workers, {args.pages} pages; "
          f"PostgreSQL; {os.cpu_count()} CPUs; load {os.getloadavg()}")
    print(f"{'latency (ms)':<28}{'n':>7}{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}")
    figures = {}
    for what in sorted(driver.lat):
        s = summary(driver.lat[what])
        figures[what] = s
        print(f"{what:<28}{s['n']:>7}{ms(s['p50'])}{ms(s['p95'])}{ms(s['p99'])}{ms(s['max'])}")
    intake = summary([x for k, v in driver.lat.items() if k.startswith("intake") for x in v])
    pages_all = summary([x for k, v in driver.lat.items() if k.startswith("page ") for x in v])
    events = summary([x for p in pages for x in p.latencies])
    lag = summary(facts["breach_lag"])
    late = summary(driver.late)
    for name, s in (("intake, all kinds", intake), ("pages, all", pages_all), ("event -> open pages", events),
                    ("breach lag", lag), ("driver lateness", late)):
        if s["n"]:
            print(f"{name:<28}{s['n']:>7}{ms(s['p50'])}{ms(s['p95'])}{ms(s['p99'])}{ms(s['max'])}")
    checks = [("intake p99 < 500 ms", intake.get("p99", 1e9) * 1000 < TARGETS["intake_p99_ms"]),
              ("page p99 < 1 s", pages_all.get("p99", 1e9) * 1000 < TARGETS["page_p99_ms"]),
              ("breach lag p99 <= 2 s", lag.get("p99", 1e9) <= TARGETS["breach_lag_p99_s"]),
              ("event latency p99 < 1 s", events.get("p99", 1e9) < TARGETS["event_p99_s"])]
    # The same, leaving out what ended within CHAOS_SHADOW s after a worker was killed or
    # Redis went down: how much of the tail the disruptions make.
    shadows = [at for what, at in procs.restarts if "killed" in what]
    calm = lambda when: not any(0 <= when - at < CHAOS_SHADOW for at in shadows)  # noqa: E731
    if shadows:
        for name, pairs in (
                ("intake, calm", [(x, w) for k in driver.lat if k.startswith("intake")
                                  for x, w in zip(driver.lat[k], driver.when[k], strict=True)]),
                ("pages, calm", [(x, w) for k in driver.lat if k.startswith("page ")
                                 for x, w in zip(driver.lat[k], driver.when[k], strict=True)]),
                # A page still streaming may be between its two appends: pair what both have.
                ("events -> pages, calm", [(x, w) for p in pages
                                           for x, w in zip(p.latencies, p.arrived, strict=False)])):
            s = summary([x for x, w in pairs if calm(w)])
            figures[name] = s
            if s["n"]:
                print(f"{name:<28}{s['n']:>7}{ms(s['p50'])}{ms(s['p95'])}{ms(s['p99'])}{ms(s['max'])}")
    for name, ok in checks:
        print(f"  {name:<32}{'PASS' if ok else 'MISS'}")
    not_done = ('refused', 'closed', 'steps', 'no ')
    done = sum(n for k, n in driver.counts.items() if not k.startswith(not_done))
    print(f"actions: {done} done; {json.dumps({k: n for k, n in driver.counts.items() if k.startswith(not_done)})}")
    # Whether a slow tail is every page a little or some pages a lot (a page is served
    # by one web process for its life: a backed-up process shows as its pages' medians).
    medians = sorted(percentile(sorted(p.latencies), 0.5) for p in pages if p.latencies)
    if medians:
        print(f"event latency per page: medians {1000 * medians[0]:.0f} ms (best page) .. "
              f"{1000 * medians[len(medians) // 2]:.0f} ms (middle) .. {1000 * medians[-1]:.0f} ms (worst)")
        figures["event_latency_page_medians_s"] = medians
    print(f"pages: {sum(p.events for p in pages)} row/gone events received, {sum(p.snapshots for p in pages)} snapshots"
          f" (incl. resyncs), {sum(p.reconnects for p in pages)} reconnects; fresh render shows {fresh_rows} rows")
    print(f"chaos: {[(what, round(at - driver.t0, 1)) for what, at in procs.restarts]}")
    print(f"stored: {facts['referrals_stored']} of {facts['referrals_sent']} sent; states {facts['states']};"
          f" thresholds {facts['thresholds_recorded']} ({facts['breaches']} breaches); notifications "
          f"{facts['notifications']}; audit events {facts['audit_events']}")
    if driver.errors:
        print(f"request errors: {sum(driver.errors.values())}")
        for sample in driver.error_samples:
            print(f"  ! {sample}")
    print("integrity: " + ("PASS" if not problems else "FAIL"))
    for problem in problems:
        print(f"  !! {problem}")
    out = {"settings": {k: v for k, v in vars(args).items() if k != "json"}, "referrals_replayed": arrivals,
           "latency_s": figures, "intake_all_s": intake, "pages_all_s": pages_all, "event_latency_s": events,
           "breach_lag_s": lag, "driver_late_s": late, "counts": driver.counts, "errors": driver.errors,
           "chaos": [(w, at - driver.t0) for w, at in procs.restarts],
           "integrity_problems": problems,
           "facts": {k: v for k, v in facts.items() if k != "breach_lag"},
           "targets": {name: ok for name, ok in checks}}
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2, default=str))
    print(json.dumps(out, default=str))
    return bool(problems or driver.errors)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
