"""Redis as a trust boundary: a password in REDIS_URL works (against a real
redis-server started here with --requirepass), and jobs cross it as JSON, so a
pickle planted in the queue is never run."""
import json
import shutil
import socket
import subprocess
import time
import zlib

import pytest
import redis as redis_lib

from spoa import create_app
from spoa.config import TestConfig

PASSWORD = "s3cret-for-tests"  # noqa: S105 (a test fixture)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def locked_redis(tmp_path):
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    port = _free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(tmp_path), "--requirepass", PASSWORD],
                            stdout=subprocess.DEVNULL)
    client = redis_lib.Redis(port=port, password=PASSWORD, socket_connect_timeout=0.2)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis_lib.RedisError:
            time.sleep(0.05)
    yield port
    proc.terminate()
    proc.wait(5)


def _app_on(app, redis_url):
    env = {"DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": app.config["SECRET_KEY"],
           "REDIS_URL": redis_url, "LIVE_CHANNEL": app.config["LIVE_CHANNEL"],
           "DEMO_CREDENTIALS": app.config["DEMO_CREDENTIALS"]}
    return create_app(TestConfig(env))


def test_a_password_in_redis_url_is_used_and_a_wrong_one_fails_open(app, db, locked_redis):
    from spoa.redis_store import optional

    good = _app_on(app, f"redis://:{PASSWORD}@127.0.0.1:{locked_redis}/0")
    with good.app_context():
        assert optional(lambda r: r.ping(), default="down") is True
        health = good.test_client().get("/health").get_json()
        assert health["redis"] == {"ok": True}, health
    wrong = _app_on(app, f"redis://:not-it@127.0.0.1:{locked_redis}/0")
    with wrong.app_context():
        assert optional(lambda r: r.ping(), default="down") == "down"  # refused: chasing goes on without it
        health = wrong.test_client().get("/health").get_json()
        assert health["redis"]["ok"] is False


def test_jobs_cross_redis_as_json_and_a_planted_pickle_is_never_run(app, db, locked_redis, tmp_path):
    from rq import Queue

    from workers.context import use_app
    from workers.jobs import QUEUE
    from workers.runner import run_worker
    from workers.scheduling import schedule_chases

    url = f"redis://:{PASSWORD}@127.0.0.1:{locked_redis}/0"
    worker_app = _app_on(app, url)
    r = redis_lib.Redis.from_url(url)
    with worker_app.app_context():
        from datetime import datetime, timedelta, timezone

        assert schedule_chases([(12345, datetime.now(timezone.utc) + timedelta(minutes=5))]) == 1
    [job_key] = [k for k in r.keys("rq:job:chase-*")]
    func, _, args, kwargs = json.loads(zlib.decompress(r.hget(job_key, "data")))
    assert (func, args, kwargs) == ("workers.jobs.chase_clock", [12345], {})

    # Whoever can write to Redis plants a pickled job that would touch a file.
    marker = tmp_path / "pwned"
    Queue(QUEUE, connection=r).enqueue("pathlib.Path.touch", marker)  # RQ's default: pickle
    use_app(worker_app)
    run_worker(worker_app, burst=True)
    assert not marker.exists()
