"""Test servers (the live app, senders' callbacks, webhooks, SMTP sinks) served in a thread."""
import json
import shutil
import socketserver
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

# socketserver's serve_forever looks for shutdown() every poll_interval: at its default
# 0.5 s, every test's teardown waited a quarter of a second on average for it.
SHUTDOWN_POLL_SECONDS = 0.05


def keys_env(app) -> dict:
    """The test app's keys as another process of it (a worker, gunicorn, a second app) is
    given them: without the same seal key it could not read the senders' signing secrets."""
    return {"SECRET_KEY": app.config["SECRET_KEY"], "SEAL_KEYS": ",".join(app.config["SEAL_KEYS"]),
            "EXTRACT_PSEUDONYM_KEY": app.config["EXTRACT_PSEUDONYM_KEY"]}


def another_app(app, **env):
    """A second app on the test app's database, Redis, keys and live channel, with ``env``
    on top: what another process of it (behind a proxy, on another Redis) would be."""
    from spoa import create_app
    from spoa.config import TestConfig

    return create_app(TestConfig({
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": app.config["REDIS_URL"], **keys_env(app),
        "LIVE_CHANNEL": app.config["LIVE_CHANNEL"], "DEMO_CREDENTIALS": app.config["DEMO_CREDENTIALS"], **env}))


def make_certificates(where: Path, common_name: str) -> Path:
    """A CA (ca.crt) and a server certificate and key (server.crt, server.key) it signed for
    127.0.0.1 and localhost, made in ``where`` with openssl; skips the test without openssl."""
    import pytest

    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed")

    def run(*args):
        subprocess.run(["openssl", *args], cwd=where, check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
        "-subj", "/CN=spoa-test-ca")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
        "-subj", f"/CN={common_name}")
    (where / "ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "server.crt", "-days", "2", "-extfile", "ext")
    return where


def serve_in_background(server) -> threading.Thread:
    """server.serve_forever() in a daemon thread; ``server.shutdown()`` returns within 50 ms."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": SHUTDOWN_POLL_SECONDS},
                              daemon=True)
    thread.start()
    return thread


class Trickle:
    """A receiver that takes a request, answers "HTTP/1.1 200 OK" and then one byte of
    a header every ``every`` seconds, never finishing (until close()): what a per-read
    socket timeout never ends. ``connections``: how many it took."""

    def __init__(self, every: float = 0.5):
        import socketserver

        self.stop, self.connections = threading.Event(), 0
        trickle = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                trickle.connections += 1
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # the request's head (its body does not matter)
                try:
                    self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                    self.wfile.flush()
                    while not trickle.stop.wait(every):
                        self.wfile.write(b"z")
                        self.wfile.flush()
                except OSError:
                    pass  # the client went away

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        serve_in_background(self.server)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/outcomes"

    def close(self):
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


class Healthy:
    """A receiver that answers ``status`` (200) at once. ``arrived`` is set on its first
    2xx; ``received`` holds (time.monotonic(), JSON body) of each POST; wait_for waits
    for a body that matches."""

    def __init__(self, status: int = 200):
        import json
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.arrived, self.status, self.received = threading.Event(), status, []
        self.changed = threading.Condition()
        healthy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                at = time.monotonic()
                self.send_response(healthy.status)
                self.send_header("Content-Length", "0")
                self.end_headers()
                with healthy.changed:
                    healthy.received.append((at, json.loads(body or b"null")))
                    healthy.changed.notify_all()
                if healthy.status < 300:
                    healthy.arrived.set()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        serve_in_background(self.server)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    @property
    def hits(self) -> int:
        return len(self.received)

    def wait_for(self, matches, timeout: float):
        """The arrival time of the first body ``matches`` accepts, or None after ``timeout``."""
        with self.changed:
            found = self.changed.wait_for(
                lambda: next((at for at, body in self.received if matches(body)), None), timeout)
        return found

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Receiver(BaseHTTPRequestHandler):
    status = 200
    bodies: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).bodies.append((json.loads(body), self.headers.get("Idempotency-Key")))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args):
        pass


class SmtpSink(socketserver.StreamRequestHandler):
    """Just enough SMTP to accept one message (Python 3.12 dropped smtpd)."""

    messages: list = []

    def handle(self):
        self.wfile.write(b"220 sink\r\n")
        data, in_data = [], False
        for raw in self.rfile:
            line = raw.decode().rstrip("\r\n")
            if in_data:
                if line == ".":
                    in_data = False
                    type(self).messages.append("\n".join(data))
                    self.wfile.write(b"250 queued\r\n")
                else:
                    data.append(line)
                continue
            verb = line[:4].upper()
            if verb == "DATA":
                in_data = True
                self.wfile.write(b"354 go on\r\n")
            elif verb == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")
