from typing import Any

from django.utils import timezone

from accounts.models import User
from audit import services as audit
from incidents.models import Incident, TimelineEntry


def add_timeline_entry(*, incident: Incident, kind: str, actor: User | None, **data: Any) -> TimelineEntry:
    """Append one entry to an incident's timeline (call inside the transaction of the change); every
    change to an incident is audited from here, in the same transaction."""
    entry = TimelineEntry.objects.create(
        incident=incident, kind=kind, actor=actor, at=timezone.now(), data=data
    )
    # In the trail of the actor's organization; a system step's, in the provider's.
    audit.record(
        action=f"incident.{kind}",
        actor=actor,
        obj=incident,
        organization=None if actor else incident.site.provider,
    )
    return entry
