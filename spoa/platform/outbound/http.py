"""A POST to a receiver under the outbound policy and one deadline: the host
resolved here, every address it resolves to vetted, the connection made to a
vetted address (the Host header, SNI and certificate check still the name in the
URL), and the answer's body read to at most BODY_MAX. A redirect is an answer
like any other, never followed: the caller decides (a 3xx is not delivered)."""
import http.client
import ipaddress
import socket
import ssl
from urllib.parse import urlsplit

from spoa.platform.outbound.deadline import Deadline, DeadlinePassed
from spoa.platform.outbound.policy import Policy

BODY_MAX = 64 * 1024
__all__ = ["DeadlinePassed", "Refused", "post"]


class Refused(OSError):
    """The outbound policy's refusal, at connect time."""


def vetted(host: str, port: int, scheme: str, policy: Policy, deadline: Deadline) -> list:
    """(family, sockaddr) of each address ``host`` resolves to that the policy
    allows; Refused, naming why, when none is."""
    allowed, refusals = [], []
    for family, _, _, _, sockaddr in deadline.resolve(host, port):
        ip = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
        why = policy.refusal(ip) or (policy.plain_http_refusal(ip) if scheme == "http" else None)
        if why is None:
            allowed.append((family, sockaddr))
        else:
            refusals.append(why)
    if not allowed:
        raise Refused(f"{host} resolves to no address SPOA may send to: {'; '.join(dict.fromkeys(refusals))}")
    return allowed


class _Connection(http.client.HTTPConnection):
    """Connects only to the vetted addresses, under the deadline."""

    def __init__(self, host, port, addresses, deadline: Deadline, context: ssl.SSLContext | None):
        super().__init__(host, port)
        self._addresses, self._deadline, self._context = addresses, deadline, context
        self.default_port = 443 if context is not None else 80  # the Host header names any other port

    def connect(self):
        last = None
        for family, sockaddr in self._addresses:
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                self._deadline.watch(sock)
                sock.connect(sockaddr)
                break
            except OSError as exc:
                sock.close()
                if isinstance(exc, DeadlinePassed) or self._deadline.passed:
                    raise self._deadline.error() from None
                last = exc
        else:
            raise last
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self._context is not None:
            sock = self._context.wrap_socket(sock, server_hostname=self.host, do_handshake_on_connect=False)
            self._deadline.watch(sock)
            sock.do_handshake()
        self.sock = sock


def post(url: str, body: bytes, headers: dict, seconds: float, policy: Policy,
         context: ssl.SSLContext | None = None) -> tuple[int, bytes]:
    """(status, the first BODY_MAX bytes of the body); DeadlinePassed after ``seconds``
    whatever the far end does; Refused by the policy; OSError for the rest."""
    parts = urlsplit(url)
    tls = parts.scheme == "https"
    port = parts.port or (443 if tls else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    with Deadline(seconds) as deadline:
        addresses = vetted(parts.hostname, port, parts.scheme, policy, deadline)
        connection = _Connection(parts.hostname, port, addresses, deadline,
                                 (context or ssl.create_default_context()) if tls else None)
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            answer = response.status, response.read(BODY_MAX)
            # A socket cut at the deadline reads as the end of the answer: http.client would
            # take the headers so far as complete. Nothing read once the deadline passed counts.
            deadline.remaining()
            return answer
        except http.client.HTTPException as exc:
            if deadline.passed:
                raise deadline.error() from None
            raise OSError(f"{type(exc).__name__}: {exc}") from None
        finally:
            connection.close()
