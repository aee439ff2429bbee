"""What debriefs shows on pages other apps own: the liaison's home lists what waits for the agency."""

from typing import Any

from django import template

from debriefs import policy, selectors

register = template.Library()


@register.inclusion_tag("debriefs/_awaiting_agency.html", takes_context=True)
def debriefs_awaiting_agency(context: template.Context, limit: int = 5) -> dict[str, Any]:
    """The debriefs waiting for the user's agency's account (the first few, and how many)."""
    user = context["request"].user
    if not policy.can_see_agency_queue(user):
        return {"shown": False}
    waiting = selectors.list_awaiting_agency(for_user=user)
    return {"shown": True, "debriefs": list(waiting[:limit]), "count": waiting.count()}
