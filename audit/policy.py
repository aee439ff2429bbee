"""Who may read the audit trail, and which of its records, over the tenancy core (accounts/policy.py)."""

from django.db.models import QuerySet

from accounts import policy as account_policy
from accounts.models import Role
from accounts.policy import AnyUser
from audit.models import AuditEvent


def can_read_audit_trail(user: AnyUser) -> bool:
    """Org admins read their organization's trail; platform admins read all of it."""
    return account_policy.is_platform_admin(user) or account_policy.role_of(user) == Role.ORG_ADMIN


def visible_audit_events(user: AnyUser) -> QuerySet[AuditEvent]:
    return account_policy.in_administered_organization(user, AuditEvent.objects.all())
