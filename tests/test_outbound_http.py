"""spoa/outbound's POST against real TLS servers (a CA and a certificate for
127.0.0.1 and localhost made here with openssl): the connection goes to the
vetted address with the URL's name still in the Host header and SNI and the
certificate checked against it; one deadline ends an answer trickled over TLS
and a handshake that never comes."""
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from spoa.platform.outbound import DeadlinePassed, Policy, post
from spoa.platform.outbound.policy import parse_networks
from tests.support.servers import make_certificates, serve_in_background

LOCAL = Policy(parse_networks("127.0.0.0/8,::1/128"))
DEADLINE = 1.5


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    return make_certificates(tmp_path_factory.mktemp("tls"), "localhost")


def _client_context(certificates):
    context = ssl.create_default_context(cafile=str(certificates / "ca.crt"))
    return context


def _server_context(certificates, seen):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(certificates / "server.crt"), str(certificates / "server.key"))
    context.sni_callback = lambda sock, name, ctx: seen.append(name) and None
    return context


@pytest.fixture
def tls_server(certificates):
    """tls_server(address, trickle=False) -> (port, what it saw: SNI names and Host headers)."""
    made = []

    def make(address="127.0.0.1", trickle=False):
        seen = {"sni": [], "host": []}
        stop = threading.Event()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                seen["host"].append(self.headers["Host"])
                self.rfile.read(int(self.headers["Content-Length"]))
                if trickle:
                    self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                    self.wfile.flush()
                    while not stop.wait(0.3):
                        self.wfile.write(b"z")
                        self.wfile.flush()
                    return
                self.send_response(201)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer((address, 0), Handler)
        server.daemon_threads = True
        server.socket = _server_context(certificates, seen["sni"]).wrap_socket(server.socket, server_side=True)
        serve_in_background(server)
        made.append((server, stop))
        return server.server_address[1], seen

    yield make
    for server, stop in made:
        stop.set()
        server.shutdown()
        server.server_close()


def test_a_name_is_connected_to_at_its_vetted_address_with_the_name_in_sni_host_and_certificate(
        certificates, tls_server):
    port, seen = tls_server()
    status, body = post(f"https://localhost:{port}/outcomes", b"{}", {"Content-Type": "application/json"},
                        DEADLINE, LOCAL, _client_context(certificates))
    assert (status, body) == (201, b"ok")
    assert seen == {"sni": ["localhost"], "host": [f"localhost:{port}"]}


def test_a_certificate_for_another_name_is_refused(certificates, tls_server):
    port, seen = tls_server("127.0.0.2")  # the certificate names 127.0.0.1 and localhost only
    with pytest.raises(ssl.SSLCertVerificationError):
        post(f"https://127.0.0.2:{port}/outcomes", b"{}", {}, DEADLINE, LOCAL, _client_context(certificates))
    assert seen["host"] == []


def test_an_answer_trickled_over_tls_ends_at_the_deadline(certificates, tls_server):
    port, seen = tls_server(trickle=True)
    started = time.monotonic()
    with pytest.raises(DeadlinePassed):
        post(f"https://localhost:{port}/outcomes", b"{}", {}, DEADLINE, LOCAL, _client_context(certificates))
    took = time.monotonic() - started
    assert seen["host"] and DEADLINE <= took < DEADLINE + 1.0, took


def test_a_handshake_that_never_comes_ends_at_the_deadline(certificates):
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(8)  # the kernel completes TCP; nobody ever speaks TLS
    try:
        started = time.monotonic()
        with pytest.raises(DeadlinePassed):
            post(f"https://127.0.0.1:{hole.getsockname()[1]}/x", b"{}", {}, DEADLINE, LOCAL,
                 _client_context(certificates))
        assert time.monotonic() - started < DEADLINE + 1.0
    finally:
        hole.close()


def test_an_smtp_greeting_trickled_a_byte_at_a_time_ends_at_the_deadline():
    """smtplib reads its greeting line by line with a per-read timeout: a relay that sends
    a byte every 0.2 s would hold it for ever. The deadline watches the socket smtplib
    opens (spoa/platform/outbound/smtp.py's hook), so the send ends at the deadline."""
    from email.message import EmailMessage

    from spoa.platform.outbound import smtp

    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def trickle():
        conn, _ = listener.accept()
        with conn:
            for byte in b"220 relay.example ESMTP " + b"x" * 10_000:
                if stop.wait(0.2):
                    return
                conn.sendall(bytes([byte]))

    threading.Thread(target=trickle, daemon=True).start()
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "spoa@example.nhs.uk", "duty@example.nhs.uk", "test"
    raised = []

    def send():
        try:
            smtp.send(message, "127.0.0.1", listener.getsockname()[1], DEADLINE)
        except OSError as exc:  # DeadlinePassed, or smtplib's own error for the cut socket
            raised.append(exc)

    sender = threading.Thread(target=send, daemon=True)
    try:
        sender.start()
        sender.join(DEADLINE + 1.0)
        assert not sender.is_alive(), "the trickled greeting held the send past its deadline"
        assert raised, "a greeting never finished was taken as an answer"
    finally:
        stop.set()
        listener.close()
