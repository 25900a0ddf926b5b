"""Production serving (gunicorn.conf.py): open live-queue pages
cannot take what intake needs. A real gunicorn, as scripts/run starts it, on SQLite,
with fewer threads than open streams: under the old gthread settings the streams
held every thread and the referral below waited for ever."""
import os
import runpy
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from spoa import create_app
from spoa.config import Config
from spoa.extensions import db as database
from tests.support.data.referral_data import VALID_REFERRAL
from tests.support.people import PASSWORD
from tests.support.signing_in import signed_in_session
from tests.support.sse import EventStream

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("PORT", "5123")
    monkeypatch.setenv("WEB_WORKERS", "3")
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert (settings["bind"], settings["workers"], settings["worker_class"]) == (["127.0.0.1:5123"], 3, "gevent")
    monkeypatch.setenv("BIND", "0.0.0.0:8000")
    assert runpy.run_path(str(ROOT / "gunicorn.conf.py"))["bind"] == ["0.0.0.0:8000"]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(tmp_path, redis_url):
    """gunicorn -c gunicorn.conf.py wsgi:app, one worker, two threads (gthread's would all be taken)."""
    yield from _serve(tmp_path, redis_url, workers=1)


@pytest.fixture
def served_by_two(tmp_path, redis_url):
    """The same with two worker processes."""
    yield from _serve(tmp_path, redis_url, workers=2)


def _serve(tmp_path, redis_url, workers):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'spoa.sqlite3'}", "REDIS_URL": redis_url,
           "SECRET_KEY": uuid.uuid4().hex, "LIVE_CHANNEL": f"spoa:queue:test:{uuid.uuid4().hex}",
           "PORT": str(port), "WEB_WORKERS": str(workers), "WEB_THREADS": "2", "WEB_LOG_LEVEL": "warning",
           "WEB_GRACEFUL_TIMEOUT": "1",  # open streams need not be waited for at the end
           "DEMO_CREDENTIALS": str(tmp_path / "demo.json")}

    # The database made as scripts/run makes it, by the same commands, run here through
    # Flask's CLI runner (three fresh interpreters importing the app cost seconds each).
    commands = create_app(Config(env))
    cli = commands.test_cli_runner()

    def flask(*args, stdin=None):
        done = cli.invoke(args=list(args), input=stdin)
        assert done.exit_code == 0, (done.output, done.exception)
        return done.output

    flask("db", "upgrade")
    token = flask("spoa", "create-api-client", "--name", "emas", "--sources", "emas").strip().splitlines()[-1]
    flask("spoa", "create-user", "--username", "sian", "--role", "supervisor", stdin=PASSWORD + "\n")
    with commands.app_context():
        database.engine.dispose()
    log = open(tmp_path / "gunicorn.log", "wb")
    server = subprocess.Popen([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT, env=env,
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        # Generous: a busy machine (or a fresh clone compiling every module) starts slowly,
        # and starting is not what this test is about.
        deadline = time.time() + 120
        while True:
            try:
                if requests.get(f"{base}/health", timeout=2).status_code in (200, 503):
                    break
            # Refused, or accepted and not yet answered: a worker still importing the app
            # (a fresh clone compiles every module first). Either way, still starting.
            except (requests.ConnectionError, requests.Timeout):
                pass
            assert time.time() < deadline and server.poll() is None, (tmp_path / "gunicorn.log").read_text()
            time.sleep(0.2)
        yield base, {"Authorization": f"Bearer {token}"}
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@pytest.mark.slow
def test_open_queue_pages_leave_room_for_intake(served):
    base, headers = served
    session = signed_in_session(base, "sian")
    streams = [EventStream(session, f"{base}/queue/events") for _ in range(6)]  # three times the threads
    try:
        for stream in streams:
            stream.wait_for(lambda n, d: n == "snapshot", timeout=10)
        body = {**VALID_REFERRAL, "source_reference": f"EMAS-{uuid.uuid4().hex[:10]}"}
        body.pop("received_at")
        started = time.monotonic()
        response = requests.post(f"{base}/api/v1/referrals", json=body, headers=headers, timeout=10)
        assert response.status_code == 201, response.text
        assert time.monotonic() - started < 5
        for stream in streams:  # and every open page hears of it
            stream.wait_for(lambda n, d: n == "row" and d["id"] == response.json()["id"], timeout=10)
    finally:
        for stream in streams:
            stream.close()


def _sample(text: str, name: str, **labels) -> float | None:
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return None


@pytest.mark.slow
def test_metrics_answer_for_every_worker(served_by_two, tmp_path):
    """Two gunicorn workers: whichever answers a scrape counts every worker's triage (the
    multiprocess directory gunicorn.conf.py sets up) and the database's referrals once."""
    base, headers = served_by_two
    ids = []
    for _ in range(4):
        body = {**VALID_REFERRAL, "source_reference": f"EMAS-{uuid.uuid4().hex[:10]}"}
        body.pop("received_at")
        response = requests.post(f"{base}/api/v1/referrals", json=body, headers=headers, timeout=10)
        assert response.status_code == 201, response.text
        ids.append(response.headers["X-Request-ID"])
    for _ in range(6):  # a fresh connection each: either worker may take it
        text = requests.get(f"{base}/metrics", timeout=10).text
        assert _sample(text, "spoa_triage_seconds_count", route="crisis_response") == 4
        assert _sample(text, "spoa_referrals_received_total", source="emas", route="crisis_response") == 4
    assert requests.get(f"{base}/metrics", headers={"X-Forwarded-For": "203.0.113.7"}, timeout=10).status_code == 404
    log = (tmp_path / "gunicorn.log").read_text()
    assert all(f"request_id={request_id}" in log for request_id in ids)  # the access lines name each request
