from typing import Any

from django.http import HttpRequest

from accounts import policy


def membership(request: HttpRequest) -> dict[str, Any]:
    """The signed-in user's membership and role, for navigation by role."""
    member = policy.membership_of(request.user)
    return {
        "membership": member,
        "role": member.role if member else None,
        "is_platform_admin": policy.is_platform_admin(request.user),
    }
