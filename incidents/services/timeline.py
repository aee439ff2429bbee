from typing import Any

from django.utils import timezone

from accounts.models import User
from incidents.models import Incident, TimelineEntry


def add_timeline_entry(*, incident: Incident, kind: str, actor: User | None, **data: Any) -> TimelineEntry:
    """Append one entry to an incident's timeline (call inside the transaction of the change)."""
    return TimelineEntry.objects.create(
        incident=incident, kind=kind, actor=actor, at=timezone.now(), data=data
    )
