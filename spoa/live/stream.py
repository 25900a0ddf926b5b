"""Server-Sent Events as every stream here writes and runs them (the live queue, the inbox badge).

``serve`` is the one loop: the retry line, the first event, a re-check at least once
a minute of whether the listener may go on (a stream outlives the request that
checked it), a keep-alive comment when nothing else was said, and each broadcast
message handed to the stream's own ``on_message``. Who may listen is the surface's
question (web/streams.py asks it of the signed-in user).

A stream is never activity: an open page that listens (and reconnects by itself after
a network blip, a proxy recycling its connection or a deploy) is not someone at the
keyboard. web/security.py knows a stream by what it is, not by a list of names: a
request an EventSource makes (it always asks for text/event-stream) or any answer
that is one. A new stream needs nothing more to be left out of the idle count.
"""
import json
import queue
import time

from flask import Response, current_app, request, stream_with_context

MIMETYPE = "text/event-stream"
HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}  # X-Accel: nginx must not buffer it
RETRY = "retry: 2000\n\n"  # the browser reconnects after 2 s
KEEP_ALIVE = ": keep-alive\n\n"
KEEP_ALIVE_SECONDS = 15  # say something this often, so a connection that died is noticed
RECHECK_SECONDS = 60  # a stream re-checks its listener this often (STREAM_RECHECK_SECONDS overrides)


def sse(name: str, data: dict) -> str:
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def response(body) -> Response:
    """An event stream answer for ``body`` (a generator, or the text of one event)."""
    return Response(body, mimetype=MIMETYPE, headers=HEADERS)


def is_stream(answer: Response | None = None) -> bool:
    """Whether this request came from an EventSource, or ``answer`` is a stream."""
    return request.accept_mimetypes.best == MIMETYPE or (answer is not None and answer.mimetype == MIMETYPE)


def serve(hub, *, still_allowed, closed, first, on_message, every: float | None = None, on_tick=None) -> Response:
    """The stream answer for this request, listening to ``hub`` (a broadcast.Broadcaster).

    ``first()``: the first event's text (or None), read once the stream is registered, so
    no change falls between. ``on_message(ticket, name, data)``: the text a broadcast
    message means for this page (or None: nothing to say). ``on_tick()``, every ``every``
    seconds if given: the same, unasked. ``still_allowed()``: asked every
    STREAM_RECHECK_SECONDS; once not, the stream says ``closed()`` (its last event) and ends.
    """
    recheck = float(current_app.config.get("STREAM_RECHECK_SECONDS", RECHECK_SECONDS))
    inbox = hub.register()

    def stream():
        try:
            yield RETRY
            text = first()
            if text:
                yield text
            sent_at = time.monotonic()
            check_at = sent_at + recheck
            tick_at = sent_at + every if every is not None else float("inf")
            while True:
                at = time.monotonic()
                if at >= check_at:
                    if not still_allowed():
                        yield closed()
                        return
                    check_at = at + recheck
                said = None
                if at >= tick_at:
                    tick_at = at + every
                    said = on_tick()
                else:
                    wait = min(check_at, tick_at, sent_at + KEEP_ALIVE_SECONDS) - at
                    try:
                        said = on_message(*inbox.get(timeout=max(wait, 0.01)))
                    except queue.Empty:
                        if time.monotonic() >= sent_at + KEEP_ALIVE_SECONDS:
                            said = KEEP_ALIVE
                if said:
                    sent_at = time.monotonic()
                    yield said
        finally:
            hub.unregister(inbox)

    return response(stream_with_context(stream()))
