"""Where a request came from: the client's address and scheme (believed from a proxy only when it
is one of TRUSTED_PROXIES), for audit records such as the evidence chain of custody and for the
per-address sign-in lock; and, for websockets, whether the page that opened one is this site's."""

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http import HttpRequest
from django.http.request import split_domain_port, validate_host

USER_AGENT_LENGTH = 300
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
FORWARDED_FOR, FORWARDED_PROTO = b"x-forwarded-for", b"x-forwarded-proto"
SCHEMES = {"http": "http", "https": "https"}
SOCKET_SCHEMES = {"http": "ws", "https": "wss"}


@dataclass(frozen=True)
class RequestOrigin:
    ip_address: str | None
    user_agent: str


def origin_of(request: HttpRequest) -> RequestOrigin:
    """The client's address (REMOTE_ADDR, which TrustedProxies resolved) and its user agent,
    without control characters, truncated."""
    address = request.META.get("REMOTE_ADDR") or None
    try:
        ip_address = str(ipaddress.ip_address(address)) if address else None
    except ValueError:
        ip_address = None
    agent = "".join(char for char in str(request.META.get("HTTP_USER_AGENT", "")) if char.isprintable())
    return RequestOrigin(ip_address=ip_address, user_agent=agent[:USER_AGENT_LENGTH])


def networks(values: Iterable[str]) -> tuple[Network, ...]:
    """Addresses and CIDR ranges (``10.0.0.0/8``, ``::1``) as networks; ValueError on a bad one."""
    return tuple(ipaddress.ip_network(value.strip(), strict=False) for value in values)


def _address(value: str) -> Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [2001:db8::1]:443
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # 192.0.2.1:443
        value = value.split(":")[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    # A dual-stack listener sees IPv4 peers as ::ffff:a.b.c.d; the settings name them as IPv4.
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    return mapped or address


def _within(address: Address, trusted: Sequence[Network]) -> bool:
    return any(address.version == network.version and address in network for network in trusted)


@dataclass(frozen=True)
class Client:
    address: str
    scheme: str | None  # "http" or "https" as a trusted proxy said; None: the connection's own


def forwarded_client(
    peer: str, forwarded_for: str, forwarded_proto: str, trusted: Sequence[Network]
) -> Client:
    """Who the client is, given the connection's peer and the forwarded headers.

    From a peer that is not a trusted proxy the headers are the client's own words: the peer is the
    client. From a trusted one, each proxy appended the address it received from, so the hops are
    read from the right, past the trusted proxies, and the first other one is the client (everything
    to its left it may have written itself). The scheme is the value the proxy that received the
    client set, counted from the right in the same way (or the only value when proxies overwrite).
    """
    peer_address = _address(peer)
    if peer_address is None or not _within(peer_address, trusted):
        return Client(peer, None)
    client, passed = peer_address, 0
    hops = [hop for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:  # nothing to the left of a hop that is not an address can be believed
            break
        client = address
        if not _within(address, trusted):
            break
        passed += 1
    protos = [value.strip().lower() for value in forwarded_proto.split(",") if value.strip()]
    proto = (protos[-(passed + 1)] if len(protos) > passed else protos[0]) if protos else None
    return Client(str(client), SCHEMES.get(proto or ""))


class TrustedProxies:
    """ASGI middleware (HTTP and websockets): sets the scope's client and scheme from X-Forwarded-For
    and X-Forwarded-Proto when the peer is one of TRUSTED_PROXIES, and removes those headers either
    way, so that nothing further in (Django, allauth) can believe a client's claim."""

    def __init__(self, app: Any, trusted: Iterable[str] | None = None) -> None:
        self.app = app
        self.trusted = networks(settings.TRUSTED_PROXIES if trusted is None else trusted)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] in ("http", "websocket"):
            scope = self.resolve(scope)
        return await self.app(scope, receive, send)

    def resolve(self, scope: dict[str, Any]) -> dict[str, Any]:
        headers: list[tuple[bytes, bytes]] = []
        forwarded: dict[bytes, list[str]] = {FORWARDED_FOR: [], FORWARDED_PROTO: []}
        for name, value in scope.get("headers", []):
            if name.lower() in forwarded:
                forwarded[name.lower()].append(value.decode("latin1"))
            else:
                headers.append((name, value))
        resolved = {**scope, "headers": headers}
        peer = scope.get("client")
        if not self.trusted or not peer:
            return resolved
        client = forwarded_client(
            str(peer[0]),
            ",".join(forwarded[FORWARDED_FOR]),
            ",".join(forwarded[FORWARDED_PROTO]),
            self.trusted,
        )
        # The client's own port is not forwarded.
        resolved["client"] = (client.address, peer[1] if client.address == str(peer[0]) else 0)
        if client.scheme:
            schemes = SOCKET_SCHEMES if scope["type"] == "websocket" else SCHEMES
            resolved["scheme"] = schemes[client.scheme]
        return resolved


DEFAULT_PORTS = {"http": 80, "https": 443}


def same_origin(scope: dict[str, Any]) -> bool:
    """Whether a websocket's Origin is this site as it was reached: the same scheme (https for a
    socket served as wss), host and port as the socket's own Host header, which ALLOWED_HOSTS allows.
    A socket without an Origin (not from a browser page) is refused too."""
    headers = dict(scope.get("headers", []))
    try:
        origin = urlsplit(headers[b"origin"].decode("latin1"))
        domain, port = split_domain_port(headers[b"host"].decode("latin1"))
        origin_port = origin.port
    except (KeyError, ValueError):
        return False
    allowed = settings.ALLOWED_HOSTS or ([".localhost", "127.0.0.1", "[::1]"] if settings.DEBUG else [])
    if not domain or not validate_host(domain, allowed):
        return False
    scheme = "https" if scope.get("scheme") == "wss" else "http"
    return (
        origin.scheme == scheme
        and (origin.hostname or "") == domain.strip("[]")
        and (origin_port or DEFAULT_PORTS[scheme]) == (int(port) if port else DEFAULT_PORTS[scheme])
    )


class SameOrigin:
    """ASGI middleware for websockets: a socket opened by another site's page (or another scheme or
    port of this one) is refused at the handshake (HTTP 403), before any session is read."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] == "websocket" and not same_origin(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.app(scope, receive, send)
