from typing import Any

from django.http import HttpRequest

from notifications import policy, selectors


def notifications(request: HttpRequest) -> dict[str, Any]:
    """The unread count for the navigation and, for liaisons, whether they are on duty."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    context: dict[str, Any] = {"unread_notifications": selectors.count_unread(user=user)}
    if policy.can_go_on_duty(user):
        context["on_duty"] = selectors.is_on_duty(user=user)
    return context
