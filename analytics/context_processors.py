from typing import Any

from django.http import HttpRequest

from analytics import policy


def analytics(request: HttpRequest) -> dict[str, Any]:
    """Whether the navigation offers the analytics."""
    return {"analytics_in_nav": policy.can_open_analytics(request.user)}
