"""What a request to /metrics shows of who sent it; whether that may read it is the
access policy's (spoa/domain/access.py: may_scrape): the operator's Prometheus, nobody else.

METRICS_TOKEN set: the request must carry ``Authorization: Bearer <token>``
(compared in constant time), from wherever it comes. Unset: only a request made
straight to this process from a loopback address, carrying no forwarding header,
is answered. Behind a TLS proxy on the same host every request arrives from
127.0.0.1, so the proxy's X-Forwarded-For / Forwarded header is what shows it
came from outside: with one, loopback is not believed.

Everyone else gets 404, the answer to a path that does not exist: a prober
learns nothing (not even that the server has metrics), and a refusal gives no
hint of which check failed. Prometheus, misconfigured, sees the 404 on its
targets page, and docs/operating.md (Metrics) says why.
"""
import ipaddress

from flask import current_app, request

from spoa.domain import access

FORWARDING_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP", "X-Forwarded-Host")


def _is_loopback(address: str | None) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)  # ::ffff:127.0.0.1
    return (mapped or ip).is_loopback


def _direct_address() -> str | None:
    """The peer's address as the server saw it (before ProxyFix put a forwarded one there)."""
    original = request.environ.get("werkzeug.proxy_fix.orig", {})
    return original.get("REMOTE_ADDR", request.environ.get("REMOTE_ADDR"))


def _bearer() -> str | None:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return given.strip() if scheme.lower() == "bearer" else None


def _direct_from_loopback() -> bool:
    """Made straight to this process from a loopback address: not through a proxy (whose
    forwarding header says the request came from elsewhere, loopback or not)."""
    if any(name in request.headers for name in FORWARDING_HEADERS):
        return False
    return _is_loopback(_direct_address()) and _is_loopback(request.remote_addr)


def may_scrape() -> bool:
    """This request's answer from the access policy."""
    return access.may_scrape(current_app.config.get("METRICS_TOKEN"), _bearer(), _direct_from_loopback())
