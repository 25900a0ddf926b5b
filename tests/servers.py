"""Test servers (the live app, senders' callbacks, webhooks, SMTP sinks) served in a thread."""
import threading

# socketserver's serve_forever looks for shutdown() every poll_interval: at its default
# 0.5 s, every test's teardown waited a quarter of a second on average for it.
SHUTDOWN_POLL_SECONDS = 0.05


def serve_in_background(server) -> threading.Thread:
    """server.serve_forever() in a daemon thread; ``server.shutdown()`` returns within 50 ms."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": SHUTDOWN_POLL_SECONDS},
                              daemon=True)
    thread.start()
    return thread
