"""Where a request came from, for audit records such as the evidence chain of custody."""

import ipaddress
from dataclasses import dataclass

from django.http import HttpRequest

USER_AGENT_LENGTH = 300


@dataclass(frozen=True)
class RequestOrigin:
    ip_address: str | None
    user_agent: str


def origin_of(request: HttpRequest) -> RequestOrigin:
    """The client's address (REMOTE_ADDR) and its user agent, without control characters, truncated."""
    address = request.META.get("REMOTE_ADDR") or None
    try:
        ip_address = str(ipaddress.ip_address(address)) if address else None
    except ValueError:
        ip_address = None
    agent = "".join(char for char in str(request.META.get("HTTP_USER_AGENT", "")) if char.isprintable())
    return RequestOrigin(ip_address=ip_address, user_agent=agent[:USER_AGENT_LENGTH])
