import uuid
from typing import Any

from django.http import HttpRequest

from accounts import policy
from accounts.models import Role


def membership(request: HttpRequest) -> dict[str, Any]:
    """The signed-in user's membership and role, for navigation by role."""
    member = policy.membership_of(request.user)
    context: dict[str, Any] = {
        "membership": member,
        "role": member.role if member else None,
        "is_platform_admin": policy.is_platform_admin(request.user),
    }
    if member is not None and member.role == Role.GUARD:
        # The panic button is on every page a guard sees: one gesture away.
        context["panic_sites"] = list(policy.panic_sites(request.user))
        context["panic_key"] = uuid.uuid4()
    return context
