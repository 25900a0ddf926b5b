"""Every URL SPOA posts to is checked against the outbound policy: when it is set
(a callback, a BaRS endpoint, a webhook channel: one validator, its message beside
the field or after the CLI option) and again at connect time against the address
its name resolves to. No redirect is followed: a 3xx is a failed attempt."""
import html
import socket
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from spoa.extensions import db as database
from spoa.models import ApiClient, FhirEndpoint, Notification, NotificationChannel
from tests.support.fixtures.chasing import T0
from tests.support.servers import serve_in_background
from tests.support.signing_in import csrf_token

SENDER_ID = "https://fhir.nhs.uk/Id/dos-service-id|2222222222"
# Each a form of an address SPOA must not post to, and what the refusal names.
FORBIDDEN = [
    ("https://127.0.0.1/hook", "loopback"),
    ("https://localhost:8443/hook", "loopback"),
    ("https://10.1.2.3/hook", "private"),
    ("https://172.16.5.4/hook", "private"),
    ("https://192.168.1.10/hook", "private"),
    ("https://100.64.0.7/hook", "shared (carrier-grade NAT)"),
    ("https://169.254.169.254/latest/meta-data", "link-local"),
    ("https://[::1]/hook", "loopback"),
    ("https://[fd12:3456::1]/hook", "private"),
    ("https://[fe80::1]/hook", "link-local"),
    ("https://224.0.0.251/hook", "multicast"),
    ("https://0.0.0.0/hook", "unspecified"),
    ("https://[::]/hook", "unspecified"),
    ("https://240.0.0.1/hook", "reserved"),
    ("https://[::ffff:127.0.0.1]/hook", "loopback"),
    ("https://[::ffff:a9fe:a9fe]/hook", "link-local"),
    ("https://2130706433/hook", "127.0.0.1 in disguise"),
    ("https://0x7f000001/hook", "127.0.0.1 in disguise"),
    ("https://0177.0.0.1/hook", "127.0.0.1 in disguise"),
    ("https://127.1/hook", "127.0.0.1 in disguise"),
    ("http://sms.example/hook", "https://"),
]


@pytest.fixture
def nothing_allowed(app):
    saved, app.config["OUTBOUND_ALLOW_NETWORKS"] = app.config.get("OUTBOUND_ALLOW_NETWORKS", ""), ""
    yield
    app.config["OUTBOUND_ALLOW_NETWORKS"] = saved


@pytest.fixture
def cli(app, db):
    return app.test_cli_runner()


@pytest.mark.parametrize("url, why", FORBIDDEN)
def test_each_forbidden_form_is_refused_wherever_a_url_is_set(cli, db, nothing_allowed, url, why):
    owner = cli.invoke(args=["spoa", "create-api-client", "--name", "owner", "--sources", "emas"])
    assert owner.exit_code == 0, owner.output
    callback = cli.invoke(args=["spoa", "create-api-client", "--name", "x", "--sources", "emas", "--callback-url", url])
    endpoint = cli.invoke(args=["spoa", "add-fhir-endpoint", "--client", "owner", "--endpoint", SENDER_ID,
                                "--url", url])
    channel = cli.invoke(args=["spoa", "add-channel", "--recipient", "spoa_supervisor", "--channel", "webhook",
                               "--target", url])
    for result, option in ((callback, "--callback-url"), (endpoint, "--url"), (channel, "--target")):
        assert result.exit_code != 0 and f"{option}: " in result.output and why in result.output, result.output
    assert (database.session.query(ApiClient).count(), database.session.query(FhirEndpoint).count(),
            database.session.query(NotificationChannel).count()) == (1, 0, 0)


def test_a_public_https_url_is_taken_and_an_allowed_network_may_use_http(app, cli, db, nothing_allowed):
    ok = cli.invoke(args=["spoa", "create-api-client", "--name", "a", "--sources", "emas",
                          "--callback-url", "https://emas.example.nhs.uk/spoa"])
    assert ok.exit_code == 0, ok.output
    app.config["OUTBOUND_ALLOW_NETWORKS"] = "10.20.0.0/16"
    inside = cli.invoke(args=["spoa", "add-channel", "--recipient", "spoa_supervisor", "--channel", "webhook",
                              "--target", "http://10.20.1.2:8080/sms"])
    assert inside.exit_code == 0, inside.output
    outside = cli.invoke(args=["spoa", "add-fhir-endpoint", "--client", "a", "--endpoint", SENDER_ID,
                               "--url", "https://10.21.0.1/fhir"])
    assert outside.exit_code != 0 and "private" in outside.output


def test_the_admin_page_says_why_beside_the_callback(client, login_as, db, nothing_allowed):
    login_as("admin")
    response = client.post("/admin/api-clients", data={
        "name": "emas-hub", "sources": ["emas"], "callback_url": "https://169.254.169.254/latest/meta-data",
        "csrf_token": csrf_token(client, "/admin/api-clients")})
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert 'id="callback_url-error"' in page and "169.254.169.254, a link-local address" in page
    assert database.session.query(ApiClient).count() == 0


@pytest.fixture
def listener():
    """A port that would accept a connection: whether anything connected is read after the pass."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    s.setblocking(False)
    yield s
    s.close()


def _connected(s) -> bool:
    try:
        s.accept()[0].close()
        return True
    except BlockingIOError:
        return False


def _webhook_rows():
    database.session.rollback()
    return database.session.query(Notification).filter_by(channel="webhook").all()


def test_a_name_resolving_to_a_forbidden_address_is_refused_at_connect_time(
        app, db, listener, post_referral, reconcile_at):
    # Set while 127/8 was allowed (a name is not resolved when set); it is not allowed now.
    port = listener.getsockname()[1]
    database.session.add(NotificationChannel(recipient="service_duty_lead", channel="webhook",
                                             target=f"https://localhost:{port}/hook"))
    database.session.commit()
    post_referral(at=T0)
    saved, app.config["OUTBOUND_ALLOW_NETWORKS"] = app.config["OUTBOUND_ALLOW_NETWORKS"], "10.0.0.0/8"
    try:
        reconcile_at(T0 + timedelta(hours=2, seconds=1))
    finally:
        app.config["OUTBOUND_ALLOW_NETWORKS"] = saved
    [row] = _webhook_rows()
    assert (row.status, row.attempts) == ("pending", 1)
    assert "localhost resolves to no address SPOA may send to" in row.last_error and "loopback" in row.last_error
    assert not _connected(listener)


class _Hits:
    def __init__(self):
        self.paths = []


def _server(handler_class):
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
    serve_in_background(server)
    return server


def test_a_redirect_is_a_failed_attempt_and_never_followed(app, db, post_referral, reconcile_at):
    hits = _Hits()

    class Internal(BaseHTTPRequestHandler):
        def _hit(self):
            hits.paths.append((self.command, self.path))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = _hit

        def log_message(self, *args):
            pass

    internal = _server(Internal)

    class Redirecting(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{internal.server_address[1]}/internal/admin")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    redirecting = _server(Redirecting)
    try:
        database.session.add(NotificationChannel(
            recipient="service_duty_lead", channel="webhook",
            target=f"http://127.0.0.1:{redirecting.server_address[1]}/hook"))
        database.session.commit()
        post_referral(at=T0)
        reconcile_at(T0 + timedelta(hours=2, seconds=1))
        [row] = _webhook_rows()
        assert (row.status, row.attempts) == ("pending", 1)
        assert "webhook answered 302, a redirect (not followed)" in row.last_error
        assert [a.ok for a in row.delivery_attempts] == [False]
        assert hits.paths == []
    finally:
        for server in (redirecting, internal):
            server.shutdown()
            server.server_close()
