"""Who may read /metrics: the operator's Prometheus, nobody else.

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

from spoa.models.user import same_token

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


def may_scrape() -> bool:
    token = current_app.config.get("METRICS_TOKEN")
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        return scheme.lower() == "bearer" and same_token(token, given.strip())
    if any(name in request.headers for name in FORWARDING_HEADERS):
        return False
    return _is_loopback(_direct_address()) and _is_loopback(request.remote_addr)
