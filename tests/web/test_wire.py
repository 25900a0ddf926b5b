"""What goes on the wire (spoa/platform/wire.py): responses compressed, never a stream; static
files at URLs carrying their content's hash, cached for a year, the bare URL still served."""
import gzip
import hashlib
import re

import brotli
import pytest

from spoa.platform import wire
from spoa.reports import extract
from tests.support.signing_in import signed_in_session
from tests.support.sse import EventStream

CSS = wire.Path(wire.__file__).resolve().parents[1] / "static" / "spoa.css"


def _hash_of(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _static_links(page: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]*)"', page)


# --- static files ------------------------------------------------------------------------------

def test_a_static_url_carries_the_hash_of_the_files_content(app):
    with app.test_request_context():
        from flask import url_for

        assert url_for("static", filename="spoa.css") == f"/static/spoa.css?v={_hash_of(CSS)}"


def test_the_hash_changes_when_the_file_does(tmp_path):
    (tmp_path / "a.css").write_text("body { color: black }")
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "b.js").write_text("1")
    before = wire.content_hashes(tmp_path)
    assert set(before) == {"a.css", "js/b.js"}
    (tmp_path / "a.css").write_text("body { color: navy }")
    after = wire.content_hashes(tmp_path)
    assert after["a.css"] != before["a.css"] and after["js/b.js"] == before["js/b.js"]


def test_every_static_link_on_the_pages_carries_its_hash(client, login_as):
    pages = [client.get("/login").get_data(as_text=True)]
    login_as("supervisor")
    pages += [client.get(path).get_data(as_text=True) for path in ("/", "/queue", "/handover", "/referrals/new")]
    links = {link for page in pages for link in _static_links(page)}
    assert {link.split("?")[0] for link in links} >= {
        "/static/spoa.css", "/static/queue.js", "/static/inbox.js", "/static/handover.js", "/static/preview.js"}
    static = wire.Path(wire.__file__).resolve().parents[1] / "static"
    for link in links:
        path, _, version = link.partition("?v=")
        assert version == _hash_of(static / path.removeprefix("/static/")), link


def test_the_hashed_url_is_cached_for_a_year_the_bare_one_briefly(client):
    hashed = client.get(f"/static/spoa.css?v={_hash_of(CSS)}")
    assert hashed.status_code == 200 and hashed.data == CSS.read_bytes()
    assert hashed.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    for old in ("/static/spoa.css", "/static/spoa.css?v=0123456789abcdef"):  # bare, or an older deployment's
        response = client.get(old)
        assert response.status_code == 200 and response.data == CSS.read_bytes()
        assert response.headers["Cache-Control"] == "public, max-age=300", old


# --- compression -------------------------------------------------------------------------------

DECODE = {"gzip": gzip.decompress, "br": brotli.decompress}


@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_a_compressed_static_file_is_smaller_and_decodes_to_the_same_bytes(client, encoding):
    response = client.get(f"/static/spoa.css?v={_hash_of(CSS)}", headers={"Accept-Encoding": encoding})
    assert response.headers["Content-Encoding"] == encoding and "Accept-Encoding" in response.headers["Vary"]
    assert len(response.data) < CSS.stat().st_size / 2
    assert DECODE[encoding](response.data) == CSS.read_bytes()
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"


def _without_tokens(page: bytes) -> bytes:
    # The CSRF token is signed with the second it was made: two renders may differ by it.
    return re.sub(rb'name="csrf_token" value="[^"]+"', b"", page)


@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_a_page_is_compressed_when_asked_and_decodes_to_the_page(client, login_as, post, encoding):
    for _ in range(5):
        post()
    login_as("supervisor")
    plain = client.get("/queue", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    packed = client.get("/queue", headers={"Accept-Encoding": f"{encoding}, identity"})
    assert packed.headers["Content-Encoding"] == encoding and len(packed.data) < len(plain.data) / 3
    assert _without_tokens(DECODE[encoding](packed.data)) == _without_tokens(plain.data)
    assert packed.headers["Cache-Control"] == "no-store"  # patient data, compressed or not
    # The queue's server time, and what compressing it cost beside it.
    assert re.fullmatch(r"app;dur=[\d.]+, compress;dur=[\d.]+", packed.headers["Server-Timing"])


def test_brotli_is_preferred_and_json_is_compressed_too(client):
    response = client.get("/api/openapi.json", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert response.status_code == 200 and response.headers["Content-Encoding"] == "br"
    assert brotli.decompress(response.data).startswith(b"{")


def test_a_small_response_is_sent_as_it_is(client):
    response = client.get("/health", headers={"Accept-Encoding": "gzip"})
    assert len(response.data) < wire.MIN_SIZE and "Content-Encoding" not in response.headers


def test_a_streamed_download_is_gzipped_as_it_streams_not_buffered(client, login_as):
    login_as("analyst")
    plain = client.get("/reports/extract.csv", headers={"Accept-Encoding": "identity"}, buffered=False)
    assert plain.is_streamed and "Content-Encoding" not in plain.headers
    response = client.get("/reports/extract.csv", headers={"Accept-Encoding": "br, gzip"}, buffered=False)
    assert response.status_code == 200 and response.is_streamed  # still a stream: never built whole
    assert response.headers["Content-Encoding"] == "gzip" and "Content-Length" not in response.headers
    assert gzip.decompress(response.get_data()) == plain.get_data()
    assert plain.get_data(as_text=True).startswith(",".join(extract.COLUMNS[:3]))


def test_a_stream_is_gzipped_chunk_by_chunk_and_closed_with_the_response():
    closed = []

    def lines():
        try:
            for i in range(5000):
                yield f"{i},some words to compress\n"
        finally:
            closed.append(True)

    packed = wire._gzip_stream(lines())
    first = next(packed)  # the first block, long before the last line is made
    assert first and not closed
    rest = b"".join(packed)
    assert gzip.decompress(first + rest).decode() == "".join(f"{i},some words to compress\n" for i in range(5000))
    assert closed == [True]
    unfinished = wire._gzip_stream(lines())
    next(unfinished)
    closed.clear()
    unfinished.close()  # the client went away: the stream's own close still runs
    assert closed == [True]


def test_the_session_cookie_stays_same_site(client, login_as):
    """Compressing pages with tokens in them relies on this (spoa/platform/wire.py: BREACH)."""
    login_as("supervisor")
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.same_site == "Lax"


# --- live streams -------------------------------------------------------------------------------

@pytest.fixture
def supervisor(db):
    from spoa.models import User
    from tests.support.people import PASSWORD

    user = User(username="sian", role="supervisor")
    user.set_password(PASSWORD)
    db.session.add(user)
    db.session.commit()
    db.session.remove()


@pytest.mark.parametrize("path", ["/queue/events", "/notifications/events"])
def test_a_live_stream_is_never_compressed_and_arrives_event_by_event(live_server, supervisor, post, db, path):
    session = signed_in_session(live_server, "sian")
    session.headers["Accept-Encoding"] = "br, gzip"
    stream = EventStream(session, f"{live_server}{path}")
    try:
        assert "Content-Encoding" not in stream.response.headers
        first, _ = stream.wait_for(lambda n, d: True)  # the stream's first event, with the stream still open
        assert first in ("snapshot", "inbox", "count")
        if path == "/queue/events":
            referral = post()
            db.session.remove()
            # A change made after the page opened reaches it while the stream goes on.
            stream.wait_for(lambda n, d: n == "row" and d["id"] == referral["id"])
    finally:
        stream.close()


def test_compression_can_be_left_to_a_proxy_in_front():
    from spoa import create_app
    from spoa.config import TestConfig

    app = create_app(TestConfig({"SECRET_KEY": "x" * 32, "DATABASE_URL": "sqlite://", "COMPRESS_RESPONSES": "0"}))
    response = app.test_client().get(f"/static/spoa.css?v={_hash_of(CSS)}", headers={"Accept-Encoding": "br, gzip"})
    assert "Content-Encoding" not in response.headers and response.data == CSS.read_bytes()
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"  # still cached by its hash
