"""Webhooks to agency and provider systems (CAD, paging): JSON signed with HMAC-SHA256.

Signed content: ``f"{timestamp}.{body}"`` with the endpoint's secret; headers ``Watchpost-Timestamp``
and ``Watchpost-Signature: v1=<hex>``. Receivers check it and drop repeats by ``Idempotency-Key``
(docs/notifications.md). The address is resolved once and checked (no private networks unless
allowed), and the connection goes to that checked address: no redirects, no DNS rebinding."""

import hashlib
import hmac
import http.client
import ipaddress
import json
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

from notifications.models import OutboxMessage, WebhookEndpoint
from notifications.senders.base import SendResult

PERMANENT_STATUSES = {410}  # Gone: the receiver says never again
USER_AGENT = "Watchpost-Webhooks/1"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Watchpost-Signature`` value for a body sent at ``timestamp`` (Unix seconds)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"v1={mac}"


def body_of(message: OutboxMessage) -> bytes:
    """The JSON body: the same bytes on every try of one message. For an endpoint that asked for
    EIDO, the body is the incident's NENA EIDO document itself (the event is in the headers)."""
    if "eido" in message.payload:
        return json.dumps(message.payload["eido"], sort_keys=True, separators=(",", ":")).encode()
    envelope = {
        "id": message.idempotency_key,
        "event": message.payload.get("event", ""),
        # CAP 1.2's status: Exercise for a drill's incident, else Actual.
        "status": message.payload.get("status", "Actual"),
        "created_at": message.created_at.isoformat(),
        "data": message.payload.get("data", {}),
    }
    return json.dumps(envelope, sort_keys=True, separators=(",", ":")).encode()


Address = ipaddress.IPv4Address | ipaddress.IPv6Address
# IPv6 forms that carry an IPv4 address in their last 32 bits, which is what a packet to them
# reaches (through a NAT64 gateway, or the host's own stack); Python calls most of them global.
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")
COMPATIBLE = ipaddress.IPv6Network("::/96")
# Local-use NAT64 (RFC 8215): where the IPv4 sits depends on the operator's prefix, so it cannot be
# unwrapped; never global.
LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")


def reached(address: Address) -> tuple[Address, ...]:
    """What a connection to ``address`` reaches: the IPv4 inside the IPv6 forms that carry one
    (mapped, translated, NAT64, IPv4-compatible, 6to4, and Teredo's server and client), else itself."""
    if isinstance(address, ipaddress.IPv4Address):
        return (address,)
    if address.ipv4_mapped:
        return (address.ipv4_mapped,)
    if address.teredo:
        return address.teredo
    if address.sixtofour:
        return (address.sixtofour,)
    if any(address in network for network in (NAT64, TRANSLATED, COMPATIBLE)):
        return (ipaddress.IPv4Address(int(address) & 0xFFFFFFFF),)
    return (address,)


def address_allowed(address: Address) -> bool:
    """The SSRF guard: only public addresses, judged by what they reach, unless private networks
    are allowed (an on-premises CAD); multicast and unspecified never."""
    targets = reached(address)
    if settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS:
        return not any(target.is_multicast or target.is_unspecified for target in targets)
    return address not in LOCAL_NAT64 and all(target.is_global for target in targets)


def validate_url(url: str) -> str:
    """Refuse what can never be sent to: another scheme, plain http when https is required,
    credentials in the URL, or a literal address the SSRF guard forbids."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValidationError({"url": "Give a full https:// URL."})
    if parts.scheme == "http" and settings.WEBHOOK_REQUIRE_HTTPS:
        raise ValidationError({"url": "Webhooks are sent over https:// only."})
    if parts.username or parts.password:
        raise ValidationError({"url": "Leave credentials out of the URL: requests are signed instead."})
    try:
        literal = ipaddress.ip_address(parts.hostname)
    except ValueError:
        literal = None
    if (literal and not address_allowed(literal)) or (
        parts.hostname == "localhost" and not settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS
    ):
        raise ValidationError({"url": "That address is on a private network, which webhooks may not call."})
    return url.strip()


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str


class Refused(Exception):
    pass


def resolve(url: str) -> Target:
    """Where to connect: the URL's host resolved once, every address checked by the SSRF guard."""
    try:
        validate_url(url)
    except ValidationError as error:
        raise Refused(" ".join(error.messages)) from None
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    if not addresses or not all(address_allowed(address) for address in addresses):
        raise Refused(f"{host} resolves to a private or reserved address; webhooks may not call it.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, host, port, path, str(addresses[0]))


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self.address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout, context=ssl.create_default_context())
        self.address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> tuple[int, bytes]:
    target = resolve(url)
    connection_class = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    connection = connection_class(target, timeout)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read(2000)
    finally:
        connection.close()


def deliver(endpoint: WebhookEndpoint, message: OutboxMessage) -> SendResult:
    body = body_of(message)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Idempotency-Key": message.idempotency_key,
        "Watchpost-Event": message.payload.get("event", ""),
        "Watchpost-Status": message.payload.get("status", "Actual"),
        "Watchpost-Timestamp": str(timestamp),
        "Watchpost-Signature": sign(endpoint.secret, timestamp, body),
    }
    try:
        status, reply = post(endpoint.url, body, headers, settings.WEBHOOK_TIMEOUT)
    except Refused as refused:
        return SendResult.failed(str(refused), permanent=True)
    except (OSError, http.client.HTTPException) as error:
        return SendResult.failed(f"{error.__class__.__name__}: {error}")
    excerpt = reply.decode(errors="replace")[:200]
    if 200 <= status < 300:
        return SendResult.delivered(f"HTTP {status} {excerpt}".strip(), status)
    return SendResult.failed(
        f"HTTP {status} {excerpt}".strip(), permanent=status in PERMANENT_STATUSES, status_code=status
    )


def send(message: OutboxMessage) -> SendResult:
    endpoint = message.endpoint
    if endpoint is None:
        return SendResult.skip("The endpoint was deleted.")
    if not endpoint.is_active:
        return SendResult.skip(f"The endpoint {endpoint.name} is switched off.")
    return deliver(endpoint, message)
