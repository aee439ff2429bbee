from typing import Any

from django.http import HttpRequest

from notifications import policy, selectors


def notifications(request: HttpRequest) -> dict[str, Any]:
    """The navigation's live counts (unread notifications; a supervisor's open triage queue) and, for
    those who go on and off duty, whether they are on duty."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    context: dict[str, Any] = {"unread_notifications": selectors.count_unread(user=user)}
    open_triage = selectors.count_open_triage(user=user)
    if open_triage is not None:
        context["open_triage"] = open_triage
    if policy.can_go_on_duty(user):
        context["on_duty"] = selectors.is_on_duty(user=user)
    return context
