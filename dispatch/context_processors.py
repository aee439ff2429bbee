import uuid
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from dispatch import policy, selectors


def panic(request: HttpRequest) -> dict[str, Any]:
    """The panic button is on every page a guard sees: one gesture away, already set to the site
    the guard is most likely at (the page's script moves it to the site the device is at)."""
    if not policy.has_panic_button(request.user):
        return {}
    sites = list(policy.panic_sites(request.user))
    suggested = selectors.suggest_panic_site(guard=request.user) if sites else None
    return {
        "panic_sites": sites,
        "panic_site": suggested,
        "panic_key": uuid.uuid4(),
        "panic_radius_m": settings.PANIC_SITE_RADIUS_M,
        "panic_active": selectors.get_own_active_panic(guard=request.user) if sites else None,
    }
