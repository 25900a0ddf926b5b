"""One wall-clock deadline for a whole exchange with a far end. A socket's
timeout bounds each operation, so a receiver that trickles a byte every few
seconds could hold a worker for ever; here a timer cuts the socket at the
deadline (any blocked connect, read or write returns at once), the socket's own
timeout is never longer than the time left, and the DNS look-up is waited on no
longer than that either."""
import socket
import threading
import time


class DeadlinePassed(TimeoutError):
    pass


def _cut(sock) -> None:
    try:  # the descriptor itself (an SSLSocket's own shutdown would first talk TLS)
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass  # closed already, or never connected


class Deadline:
    def __init__(self, seconds: float):
        self.seconds = seconds
        self.ends = time.monotonic() + seconds
        self.passed = False
        self._sock = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self):
        self._timer.start()
        return self

    def __exit__(self, kind, exc, tb):
        self._timer.cancel()
        if exc is not None and not isinstance(exc, DeadlinePassed) and (
                self.passed or isinstance(exc, TimeoutError)):
            # Whatever the cut socket raised (a reset, a short read), it was the deadline; and a
            # socket's own timeout is never more than the time left, so it is the deadline too.
            raise self.error() from None
        return False

    def error(self) -> DeadlinePassed:
        return DeadlinePassed(f"timed out: no complete answer within {self.seconds:g} s")

    def remaining(self) -> float:
        left = self.ends - time.monotonic()
        if left <= 0 or self.passed:
            raise self.error()
        return left

    def watch(self, sock) -> None:
        """Cut ``sock`` at the deadline; until then no operation on it waits longer than the time left."""
        with self._lock:
            self._sock = sock
            passed = self.passed
        if passed:
            _cut(sock)
            raise self.error()
        sock.settimeout(self.remaining())

    def _expire(self) -> None:
        with self._lock:
            self.passed = True
            sock = self._sock
        if sock is not None:
            _cut(sock)

    def resolve(self, host: str, port: int) -> list:
        """getaddrinfo, waited on no longer than the time left (the resolver's own
        timeouts are its own: a look-up left behind ends in its daemon thread)."""
        found, done = {}, threading.Event()

        def look():
            try:
                found["addresses"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except OSError as exc:
                found["error"] = exc
            finally:
                done.set()

        threading.Thread(target=look, daemon=True, name="spoa-resolve").start()
        if not done.wait(self.remaining()):
            raise self.error()
        if "error" in found:
            raise OSError(f"{host} could not be resolved ({found['error']})")
        return found["addresses"]
