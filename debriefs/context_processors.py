from typing import Any

from django.http import HttpRequest

from debriefs import policy


def debriefs(request: HttpRequest) -> dict[str, Any]:
    """Whether the navigation offers the debriefs: to those who review them (supervisors, and org
    admins where their organization says so) and to the liaisons asked for their agency's account."""
    user = request.user
    return {"debriefs_in_nav": policy.can_see_review_queue(user) or policy.can_see_agency_queue(user)}
