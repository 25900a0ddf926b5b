"""What goes on the wire: responses compressed, static files cached by their content.

Compression (Flask-Compress): brotli for a client that takes it, else gzip, for
pages, JSON and problem+json, FHIR JSON and XML, CSS, JavaScript, SVG and CSV.
Two kinds of response are never handed to it, because it compresses a response by
reading it whole (``response.get_data()``) in after_request:

- text/event-stream (the live queue, the inbox badge): each event must reach the
  page when it is written; a compressor holds bytes back until it has enough, and
  Flask-Compress would wait for the stream's end, which never comes.
- any other streamed response (the reports' CSV and the de-identified extract): it
  would be built whole in memory before the first byte went out. A CSV stream is
  gzipped here instead, as it is written (``_gzip_stream``: zlib holds back no more
  than a deflate block); any other stream goes out as it is.

Static files are small and read at once, so they are compressed as pages are.
COMPRESS_RESPONSES=0 (spoa/config.py) leaves all of it to a proxy in front.

BREACH (a compressed secret guessed from response sizes) needs an attacker to make
the victim's browser send many signed-in requests carrying text of the attacker's
choosing, and to watch their sizes on the wire. The session cookie is SameSite=Lax
(spoa/config.py): a cross-site image, script, frame or fetch is sent without it, so
another site cannot have the pages fetched as the person; and the CSRF token in a
form is signed with a timestamp (Flask-WTF), so its bytes change every second and
the part that does not is worthless without the signature. So pages are compressed;
the Lax cookie is what this relies on (tests/web/test_wire.py pins it).

Static files: each file's URL carries a hash of its content, computed once at
start-up (``url_for('static', filename='spoa.css')`` gives
``/static/spoa.css?v=<hash>``, for every template and script tag at once). A
request whose ``v`` is the file's hash is cached for a year, immutable: a changed
file gets a new URL. The bare URL (or one from an older deployment) still works,
cached for a few minutes only.
"""
import hashlib
import time
import zlib
from pathlib import Path

from flask import request
from flask_compress import Compress

COMPRESSED_TYPES = [
    "text/html", "text/css", "text/javascript", "application/javascript", "text/csv", "text/plain",
    "image/svg+xml", "application/json", "application/problem+json", "application/openapi+json",
    "application/fhir+json", "application/fhir+xml", "application/xml", "text/xml",
]
# Below about a kilobyte there is little to win and compressing costs more than it saves
# (a response that small already fits in one TCP segment).
MIN_SIZE = 1024
IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=300"  # an unhashed URL: the file may change under it with the next deployment
VERSION_ARG = "v"
STREAMED_COMPRESSED = {"text/csv"}  # never text/event-stream: each event must go out as it is written

compress = Compress()


def content_hashes(folder) -> dict[str, str]:
    """Each file under ``folder`` (its path there, with /) -> a hash of its bytes."""
    root = Path(folder)
    return {path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()[:16]
            for path in sorted(root.rglob("*")) if path.is_file()}


def init_app(app) -> None:
    for key, value in {"COMPRESS_MIMETYPES": COMPRESSED_TYPES, "COMPRESS_ALGORITHM": ["br", "gzip"],
                       "COMPRESS_MIN_SIZE": MIN_SIZE, "COMPRESS_REGISTER": False}.items():
        app.config.setdefault(key, value)
    compress.init_app(app)
    hashes = app.extensions["spoa_static_hashes"] = content_hashes(app.static_folder)

    @app.url_defaults
    def _static_version(endpoint, values):
        if endpoint == "static" and VERSION_ARG not in values and values.get("filename") in hashes:
            values[VERSION_ARG] = hashes[values["filename"]]

    @app.after_request
    def _on_the_wire(response):
        if request.endpoint == "static":
            filename = (request.view_args or {}).get("filename")
            current = filename is not None and request.args.get(VERSION_ARG) == hashes.get(filename)
            response.headers["Cache-Control"] = IMMUTABLE if current else SHORT
        if not app.config["COMPRESS_RESPONSES"]:
            return response  # a proxy in front compresses (docs/operating.md, "Compression")
        if response.is_streamed and request.endpoint != "static":
            # Never read whole (the module's docstring says why): a CSV is gzipped as it goes.
            if (response.mimetype in STREAMED_COMPRESSED and request.accept_encodings["gzip"]
                    and "Content-Encoding" not in response.headers):
                response.response = _gzip_stream(response.response, app.config["COMPRESS_LEVEL"])
                response.headers["Content-Encoding"] = "gzip"
                response.headers.pop("Content-Length", None)
                response.vary.add("Accept-Encoding")
            return response
        started = time.perf_counter()
        response = compress.after_request(response)
        if "Server-Timing" in response.headers and "Content-Encoding" in response.headers:
            # The page's own figure (the queue's) with what compressing it cost beside it.
            response.headers["Server-Timing"] += f", compress;dur={(time.perf_counter() - started) * 1000:.1f}"
        return response


def _gzip_stream(chunks, level: int = 6):
    """The chunks of a streamed response, gzipped as they come: each compressed block
    goes out when zlib has made it, and the stream's own close (a database cursor's)
    still runs when the response is closed. ``level``: COMPRESS_LEVEL, Flask-Compress's gzip level."""
    packer = zlib.compressobj(level, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # 16+: a gzip header
    try:
        for chunk in chunks:
            data = packer.compress(chunk.encode() if isinstance(chunk, str) else chunk)
            if data:
                yield data
        yield packer.flush()
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
