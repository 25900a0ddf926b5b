"""A page's view of a server-sent event stream (/queue/events, the inbox badge's) over real
HTTP: events collected by a reader thread, waited for by predicate."""
import json
import socket
import threading


class EventStream:
    """A page's view of /queue/events over real HTTP: events collected by a reader thread."""

    def __init__(self, session, url):
        self.response = session.get(url, stream=True, timeout=10)
        assert self.response.headers["Content-Type"].startswith("text/event-stream")
        self.events: list[tuple[str, dict]] = []
        self.arrived = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        name = None
        try:
            for line in self.response.iter_lines(decode_unicode=True):
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: ") and name:
                    with self.arrived:
                        self.events.append((name, json.loads(line[6:])))
                        self.arrived.notify_all()
        except Exception:  # closed by the test
            pass

    def wait_for(self, predicate, timeout=5.0):
        with self.arrived:
            assert self.arrived.wait_for(lambda: any(predicate(n, d) for n, d in self.events), timeout), self.events
        return next((n, d) for n, d in self.events if predicate(n, d))

    def close(self):
        # The reader thread is blocked in a read: shut the socket under it (a plain
        # close would wait for that read), as a browser closing the tab does.
        fp = self.response.raw._fp
        if fp is not None and fp.fp is not None:  # else the server has ended it already
            try:
                fp.fp.raw._sock.shutdown(socket.SHUT_RDWR)
            except OSError:  # the server ended it meanwhile: nothing left to shut
                pass
        self.response.close()
