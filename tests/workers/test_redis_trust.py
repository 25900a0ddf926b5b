"""Redis as a trust boundary: a password in REDIS_URL works (against a real
redis-server started here with --requirepass), so do TLS and the ACL users the
docs/security.md documents (docs/redis-users.acl), and jobs cross it as JSON, so a pickle
planted in the queue is never run."""
import json
import shutil
import socket
import subprocess
import time
import zlib
from datetime import timedelta
from pathlib import Path

import pytest
import redis as redis_lib

from tests.support.servers import another_app, make_certificates

PASSWORD = "s3cret-for-tests"  # noqa: S105 (a test fixture)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _redis_server(tmp_path, options: list, **credentials):
    """A plain (not TLS) redis-server on a free loopback port with ``options``: yields its
    port once a client with ``credentials`` gets a PING through; stopped after."""
    port = _free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(tmp_path), *options],
                            stdout=subprocess.DEVNULL)
    client = redis_lib.Redis(port=port, socket_connect_timeout=0.2, **credentials)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis_lib.RedisError:
            time.sleep(0.05)
    yield port
    proc.terminate()
    proc.wait(5)


@pytest.fixture
def locked_redis(tmp_path):
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    yield from _redis_server(tmp_path, ["--requirepass", PASSWORD], password=PASSWORD)


def _app_on(app, redis_url):
    return another_app(app, REDIS_URL=redis_url)


def test_a_password_in_redis_url_is_used_and_a_wrong_one_fails_open(app, db, locked_redis):
    from spoa.platform.redis_store import optional

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
    from workers.jobs import QUEUE, sweep_delays
    from workers.queues import queue
    from workers.runner import run_worker

    url = f"redis://:{PASSWORD}@127.0.0.1:{locked_redis}/0"
    worker_app = _app_on(app, url)
    r = redis_lib.Redis.from_url(url)
    queue(QUEUE, r).enqueue_in(timedelta(minutes=5), sweep_delays, True, job_id="json-sweep")
    func, _, args, kwargs = json.loads(zlib.decompress(r.hget("rq:job:json-sweep", "data")))
    assert (func, args, kwargs) == ("workers.jobs.sweep_delays", [True], {})

    # Whoever can write to Redis plants a pickled job that would touch a file.
    marker = tmp_path / "pwned"
    Queue(QUEUE, connection=r).enqueue("pathlib.Path.touch", marker)  # RQ's default: pickle
    use_app(worker_app)
    run_worker(worker_app, burst=True)
    assert not marker.exists()


@pytest.fixture
def tls_redis(tmp_path):
    """redis-server speaking only TLS (a CA and a certificate for 127.0.0.1 made
    here with openssl), with a password. Yields (port, CA file)."""
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    make_certificates(tmp_path, "127.0.0.1")
    port = _free_port()
    proc = subprocess.Popen(["redis-server", "--port", "0", "--tls-port", str(port), "--bind", "127.0.0.1",
                             "--tls-cert-file", "server.crt", "--tls-key-file", "server.key",
                             "--tls-ca-cert-file", "ca.crt", "--tls-auth-clients", "no",
                             "--requirepass", PASSWORD, "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
                            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ca = str(tmp_path / "ca.crt")
    client = redis_lib.Redis.from_url(f"rediss://:{PASSWORD}@127.0.0.1:{port}/0?ssl_ca_certs={ca}",
                                      socket_connect_timeout=0.3)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis_lib.RedisError:
            if proc.poll() is not None:
                pytest.skip("this redis-server was built without TLS")
            time.sleep(0.05)
    yield port, ca
    proc.terminate()
    proc.wait(5)


def test_rediss_with_a_password_carries_the_app_and_its_jobs(app, db, tls_redis):
    from rq.job import Job

    from spoa.platform.redis_store import optional
    from workers.context import use_app
    from workers.jobs import QUEUE, deliver
    from workers.queues import SERIALIZER, queue
    from workers.runner import run_worker

    port, ca = tls_redis
    url = f"rediss://:{PASSWORD}@127.0.0.1:{port}/0?ssl_ca_certs={ca}"
    tls_app = _app_on(app, url)
    with tls_app.app_context():
        assert optional(lambda r: r.ping(), default="down") is True
        assert tls_app.test_client().get("/health").get_json()["redis"] == {"ok": True}
        job = queue(QUEUE, redis_lib.Redis.from_url(url)).enqueue(deliver, job_id="tls-deliver")
    use_app(tls_app)
    run_worker(tls_app, burst=True)
    job = Job.fetch("tls-deliver", connection=redis_lib.Redis.from_url(url), serializer=SERIALIZER)
    assert job.get_status() == "finished" and job.return_value() == 0  # nothing waiting to be sent

    # Not TLS, or a certificate nobody vouched for: refused, and the app fails open.
    for wrong in (f"redis://:{PASSWORD}@127.0.0.1:{port}/0", f"rediss://:{PASSWORD}@127.0.0.1:{port}/0"):
        with _app_on(app, wrong).app_context():
            assert optional(lambda r: r.ping(), default="down") == "down"


ACL_FILE = Path(__file__).resolve().parents[2] / "docs" / "redis-users.acl"  # docs/security.md's


@pytest.fixture
def acl_redis(tmp_path):
    """redis-server with the web and worker users of docs/redis-users.acl (passwords set here)."""
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    acl = tmp_path / "users.acl"
    acl.write_text("\n".join(line for line in ACL_FILE.read_text().replace("WEB_PASSWORD", "web-pw")
                             .replace("WORKER_PASSWORD", "worker-pw").splitlines()
                             if line and not line.startswith("#")) + "\n")
    yield from _redis_server(tmp_path, ["--aclfile", str(acl)], username="spoa-worker", password="worker-pw")


def test_the_documented_acl_users_let_the_web_read_but_never_plant_jobs(app, db, acl_redis):
    from rq.job import Job

    from spoa.metrics.figures import Figures
    from spoa.platform.redis_store import get_redis
    from spoa.platform.throttle import take
    from workers.context import use_app
    from workers.jobs import QUEUE, deliver
    from workers.queues import SERIALIZER, queue
    from workers.runner import run_worker

    web_url = f"redis://spoa-web:web-pw@127.0.0.1:{acl_redis}/0"
    worker_url = f"redis://spoa-worker:worker-pw@127.0.0.1:{acl_redis}/0"
    web = redis_lib.Redis.from_url(web_url)
    for plant in (lambda: web.hset("rq:job:planted", "data", "x"), lambda: web.rpush("rq:queue:spoa", "planted"),
                  lambda: web.delete("rq:queue:spoa")):
        with pytest.raises(redis_lib.exceptions.NoPermissionError):
            plant()
    with pytest.raises(redis_lib.AuthenticationError):
        redis_lib.Redis(port=acl_redis).ping()  # the default user is off

    worker_app = _app_on(app, worker_url)
    with worker_app.app_context():
        queue(QUEUE, get_redis()).enqueue(deliver, job_id="acl-deliver")
    use_app(worker_app)
    run_worker(worker_app, burst=True)
    job = Job.fetch("acl-deliver", connection=redis_lib.Redis.from_url(worker_url), serializer=SERIALIZER)
    assert job.get_status() == "finished"

    web_app = _app_on(app, web_url)
    with web_app.app_context():
        assert web_app.test_client().get("/health").get_json()["redis"] == {"ok": True}
        assert take("test", "someone", 60) == 1  # the web's own counters
        assert take("test", "someone", 60) == 2
        assert get_redis().publish(web_app.config["LIVE_CHANNEL"], "hello") == 0
        families = {f.name: f for f in Figures()._redis(get_redis())}  # what /metrics reads of RQ
        assert families["spoa_rq_queue_length"].samples
