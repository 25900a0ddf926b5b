"""Which addresses SPOA may connect to. A receiver's URL comes from the sending
organisation, which controls its host and its DNS: without a policy it could
point SPOA's workers at the cloud metadata address, SPOA's own loopback
services or anything on the private network (server-side request forgery).

Refused unless inside OUTBOUND_ALLOW_NETWORKS (comma-separated CIDRs, default
none): loopback, private (RFC 1918, fc00::/7), shared (100.64.0.0/10), link-local,
site-local, multicast, unspecified, reserved and any other address that is not
globally routable, IPv4 addresses embedded in IPv6 (mapped, 6to4, Teredo, NAT64) as the
address they embed, and hosts written as numbers in disguise (2130706433,
0x7f000001, 0177.0.0.1, 127.1: what inet_aton, and so the resolver, reads as
an address). Plain http only to an address inside the allowed networks."""
import ipaddress
import socket
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from flask import current_app

SETTING = "OUTBOUND_ALLOW_NETWORKS"
SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT: not private to Python, not public either
NAT64 = ipaddress.ip_network("64:ff9b::/96")
PLAIN_HTTP = f"Use https:// (plain http:// is only for addresses in {SETTING})"


def parse_networks(text: str | None) -> tuple:
    """The setting's CIDRs; ValueError naming the one that is not a network."""
    networks = []
    for part in (text or "").split(","):
        if part.strip():
            try:
                networks.append(ipaddress.ip_network(part.strip()))
            except ValueError:
                raise ValueError(f"{SETTING}: {part.strip()!r} is not a network such as 10.1.0.0/16") from None
    return tuple(networks)


def _embedded(ip):
    """The IPv4 address an IPv6 one carries, where it carries one (a packet to it reaches that address)."""
    if ip.version != 6:
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def kind(ip) -> str | None:
    """What makes ``ip`` no place to send to, or None for a public address."""
    inner = _embedded(ip)
    if inner is not None:
        found = kind(inner)
        if found is not None or ip.ipv4_mapped is not None:
            return found
    for test, words in ((ip.is_unspecified, "unspecified"), (ip.is_loopback, "loopback"),
                        (ip.is_link_local, "link-local"), (ip.is_multicast, "multicast"),
                        # fec0::/10: deprecated, but still a private network where it is used
                        (ip.version == 6 and ip.is_site_local, "site-local"),
                        (ip.version == 4 and ip in SHARED, "shared (carrier-grade NAT)"),
                        (ip.is_reserved, "reserved"), (ip.is_private, "private"), (not ip.is_global, "non-public")):
        if test:
            return words
    return None


@dataclass(frozen=True)
class Policy:
    allowed: tuple = ()

    def inside_allowed(self, ip) -> bool:
        inner = _embedded(ip)
        return any(ip in net or (inner is not None and inner in net) for net in self.allowed)

    def refusal(self, ip) -> str | None:
        """Why SPOA must not connect to ``ip``, or None."""
        if self.inside_allowed(ip):
            return None
        found = kind(ip)
        return None if found is None else f"SPOA does not send to {ip}, a {found} address (not in {SETTING})"

    def plain_http_refusal(self, ip) -> str | None:
        """Cleartext only where the operator said the network is theirs."""
        return None if self.inside_allowed(ip) else PLAIN_HTTP


@lru_cache(maxsize=8)
def _policy(text: str) -> Policy:
    return Policy(parse_networks(text))


def current_policy() -> Policy:
    return _policy(current_app.config.get(SETTING) or "")


def literal(host: str):
    """The address a URL's host names without DNS, or None for a name. Numbers in
    disguise are ValueError: the resolver reads them as addresses, people do not."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        packed = socket.inet_aton(host)
    except OSError:
        return None
    raise ValueError(f"{host} is the address {socket.inet_ntoa(packed)} in disguise: "
                     "give a name, or an address as four decimal numbers")


def url_refusal(url: str, policy: Policy) -> str | None:
    """Why ``url`` may not be set (checked without DNS: the name is checked again,
    resolved, at every connection), or None."""
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".").lower()
    try:
        ip = literal(host)
    except ValueError as exc:
        return str(exc)
    if ip is None and (host == "localhost" or host.endswith(".localhost")):
        ip = ipaddress.ip_address("127.0.0.1")  # RFC 6761: always loopback
    if ip is not None:
        refused = policy.refusal(ip)
        if refused is not None:
            return refused
    if parts.scheme == "http" and (ip is None or policy.plain_http_refusal(ip)):
        return PLAIN_HTTP
    return None
