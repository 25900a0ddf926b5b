"""A TCP relay between the browser and the live server, as a proxy or a network in
between would be: ``cut()`` drops every connection through it at once (a network
blip, a proxy recycling long connections, a deploy), and the browser must reconnect
by itself. It counts the requests it carries, by their first line."""
import socket
import threading


class Relay:
    def __init__(self, upstream_port: int):
        self.upstream_port = upstream_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._lock = threading.Condition()
        self._open: set[socket.socket] = set()
        self._request_lines: list[str] = []
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            with self._lock:
                self._open.update((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, source, sink, from_browser: bool):
        try:
            while chunk := source.recv(65536):
                if from_browser:
                    self._note(chunk)
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                self._drop(end)

    def _note(self, chunk: bytes):
        lines = [line for line in chunk.decode("latin-1").split("\r\n")
                 if line.split(" ", 1)[0] in ("GET", "POST", "HEAD")]
        if lines:
            with self._lock:
                self._request_lines.extend(lines)
                self._lock.notify_all()

    def _drop(self, end: socket.socket):
        with self._lock:
            self._open.discard(end)
        try:
            end.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        end.close()

    def requests(self, starting: str) -> int:
        """How many requests through the relay began ``starting`` ("GET /notifications/events")."""
        with self._lock:
            return sum(line.startswith(starting) for line in self._request_lines)

    def wait_for_requests(self, starting: str, count: int, timeout: float = 10.0) -> None:
        with self._lock:
            if not self._lock.wait_for(lambda: self.requests(starting) >= count, timeout):
                raise AssertionError(f"{self.requests(starting)} of {count} requests {starting!r} came")

    def cut(self) -> None:
        """Drop every connection through the relay now, as a blip would."""
        with self._lock:
            ends = list(self._open)
        for end in ends:
            self._drop(end)

    def close(self) -> None:
        self._listener.close()
        self.cut()
