from dataclasses import dataclass
from datetime import date

from django.db.models import Q, QuerySet

from accounts.policy import AnyUser
from accounts.selectors import get_time_zone
from audit import policy
from audit.models import AuditEvent
from portal import zones


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
    # The trail is its reader's own view: its days are the reader's (the zone its times are shown in).
    start, end = zones.day_range(filters.since, filters.until, get_time_zone(for_user=for_user))
    if start is not None:
        events = events.filter(at__gte=start)
    if end is not None:
        events = events.filter(at__lt=end)
    return events.order_by("-id")
