from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.policy import AnyUser
from audit import policy
from audit.models import AuditEvent


@dataclass(frozen=True)
class TrailFilters:
    actor: str = ""
    action: str = ""
    obj: str = ""
    since: date | None = None
    until: date | None = None


def list_trail(*, for_user: AnyUser, filters: TrailFilters | None = None) -> QuerySet[AuditEvent]:
    """The audit records the user may read (their organization's; all for platform admins), newest first."""
    filters = filters or TrailFilters()
    events = policy.visible_audit_events(for_user).select_related("actor")
    if filters.actor:
        events = events.filter(Q(actor_label__icontains=filters.actor))
    if filters.action:
        events = events.filter(action__startswith=filters.action)
    if filters.obj:
        events = events.filter(Q(object_id=filters.obj) | Q(object_label__icontains=filters.obj))
    zone = timezone.get_current_timezone()
    if filters.since:
        events = events.filter(at__gte=datetime.combine(filters.since, time.min, tzinfo=zone))
    if filters.until:
        events = events.filter(
            at__lt=datetime.combine(filters.until, time.min, tzinfo=zone) + timedelta(days=1)
        )
    return events.order_by("-id")
