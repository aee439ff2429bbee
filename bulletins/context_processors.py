from typing import Any

from django.http import HttpRequest

from accounts import policy as account_policy
from accounts.models import Role
from bulletins import selectors


def bulletins(request: HttpRequest) -> dict[str, Any]:
    """Every page of a site's guard or supervisor carries the live bulletins' banner: one query (the
    live list; its read receipts only when there is one)."""
    user = request.user
    if account_policy.role_of(user) not in (Role.GUARD, Role.SUPERVISOR):
        return {"bulletin_banner": False}
    live = list(selectors.list_live_bulletins(for_user=user)[:5])
    return {
        "bulletin_banner": True,
        "bulletin_live": live,
        "bulletin_read": selectors.read_ids(bulletins=live, user=user) if live else set(),
        "bulletins_in_nav": True,
    }
