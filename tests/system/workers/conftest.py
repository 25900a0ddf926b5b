"""Worker processes as production runs them (a fresh interpreter, real time), beside a
private redis-server (its own port) that tests may flush, restart empty and kill workers
against without touching anyone else's data."""
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis as redis_lib

from spoa.extensions import db as database
from tests.support.servers import keys_env

ROOT = Path(__file__).resolve().parents[3]
BREACH_WITHIN = 5.0  # seconds from deadline to breach recorded, with room for a loaded machine


class PrivateRedis:
    def __init__(self, port: int, workdir: Path):
        self.port, self.workdir, self.proc = port, workdir, None

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)], stdout=subprocess.DEVNULL)
        client = redis_lib.Redis(port=self.port, socket_connect_timeout=0.2)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis_lib.RedisError:
                time.sleep(0.05)
        raise RuntimeError("private redis did not start")

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(5)

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"


@pytest.fixture
def private_redis(tmp_path):
    if not shutil.which("redis-server"):
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed")
        pytest.skip("redis-server is not installed")
    server = PrivateRedis(6300 + os.getpid() % 500, tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def worker_factory(app, private_redis, db, tmp_path):
    procs = []
    log_path = tmp_path / "worker.log"

    def start(wait=True, **settings):
        """A worker process (``settings``: more of its environment); with ``wait``, once it
        is working (see working_since). Its receivers are the tests' servers on this machine."""
        env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
               "REDIS_URL": private_redis.url, **keys_env(app),
               "OUTBOUND_ALLOW_NETWORKS": app.config["OUTBOUND_ALLOW_NETWORKS"], **settings}
        proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "spoa", "worker"],
                                cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                stderr=open(log_path, "ab"))
        procs.append(proc)
        if wait:
            working_since(proc, private_redis.url)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGUSR1)  # its stacks go to the log: what was it doing?
            time.sleep(0.3)
            proc.kill()
            proc.wait(5)
    print(log_path.read_text()[-20000:])  # shown when a test fails


def working_since(proc, redis_url, with_scheduler=False, timeout=60.0) -> datetime:
    """When ``proc`` began working: both its RQ workers (reconcile and chase queues, and
    the delivery thread's) registered, so its tickers run; ``with_scheduler``: and RQ's
    scheduler process forked (the one worker holding the scheduler lock forks it just
    after registering). Starting takes a fresh interpreter seconds of CPU (importing the
    app), more on a busy machine: tests wait for it here, with a generous deadline, and
    time breaches from deadlines the worker was there for, not from a start-up that
    would race them."""
    from rq import Worker

    connection = redis_lib.Redis.from_url(redis_url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the worker exited ({proc.returncode}) before it began working"
        mine = {q: w for w in Worker.all(connection=connection) if w.pid == proc.pid for q in w.queue_names()}
        if "spoa" in mine and "spoa-delivery" in mine and (not with_scheduler or _children(proc.pid)):
            births = [w.birth_date.replace(tzinfo=w.birth_date.tzinfo or UTC) for w in mine.values()]
            return max(births)
        time.sleep(0.1)
    raise AssertionError(f"the worker did not begin working within {timeout:.0f} s")


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()  # after "pid (command)"
        except OSError:  # gone meanwhile
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def assert_eventually(condition, message, timeout=30.0):
    """``condition`` (a query) holds within ``timeout``, each try in a fresh session."""
    deadline = time.monotonic() + timeout
    while True:
        database.session.remove()
        try:
            if condition():
                return
        finally:
            database.session.rollback()
        assert time.monotonic() < deadline, message
        time.sleep(0.2)
