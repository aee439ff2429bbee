from typing import Any

from django.http import HttpRequest

from audit import policy


def audit(request: HttpRequest) -> dict[str, Any]:
    """Whether the navigation offers the audit trail: to those who may read it."""
    return {"can_read_audit_trail": policy.can_read_audit_trail(request.user)}
