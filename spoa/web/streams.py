"""Server-Sent Events as every stream here writes them (the live queue, the inbox badge).

A stream is never activity: an open page that listens (and reconnects by itself after
a network blip, a proxy recycling its connection or a deploy) is not someone at the
keyboard. web/security.py knows a stream by what it is, not by a list of names: a
request an EventSource makes (it always asks for text/event-stream) or any answer
that is one. A new stream needs nothing more to be left out of the idle count.
"""
import json

from flask import Response, request

MIMETYPE = "text/event-stream"
HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}  # X-Accel: nginx must not buffer it


def sse(name: str, data: dict) -> str:
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def response(body) -> Response:
    """An event stream answer for ``body`` (a generator, or the text of one event)."""
    return Response(body, mimetype=MIMETYPE, headers=HEADERS)


def is_stream(answer: Response | None = None) -> bool:
    """Whether this request came from an EventSource, or ``answer`` is a stream."""
    return request.accept_mimetypes.best == MIMETYPE or (answer is not None and answer.mimetype == MIMETYPE)
