"""The one stream loop (live/stream.py; web/streams.py for pages) as both streams run
it: the retry line, the first event, a keep-alive comment when there is nothing else
to say, and headers that keep proxies from buffering or caching it."""
import pytest

from spoa.live import stream


@pytest.mark.parametrize("path, first", [("/queue/events", "event: snapshot"),
                                         ("/notifications/events", "event: count")])
def test_each_stream_says_retry_then_its_first_event_then_keeps_alive(client, login_as, monkeypatch, path, first):
    monkeypatch.setattr(stream, "KEEP_ALIVE_SECONDS", 0.2)
    login_as("supervisor")
    response = client.get(path, headers={"Accept": stream.MIMETYPE}, buffered=False)
    try:
        assert response.mimetype == stream.MIMETYPE
        assert response.headers["Cache-Control"] == "no-store" and response.headers["X-Accel-Buffering"] == "no"
        chunks = iter(response.response)
        assert next(chunks).decode() == "retry: 2000\n\n"
        assert next(chunks).decode().startswith(first)
        assert next(chunks).decode() == ": keep-alive\n\n"  # nothing happened: a comment, not an event
    finally:
        response.close()
