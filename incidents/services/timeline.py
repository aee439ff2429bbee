from collections.abc import Sequence
from typing import Any, NamedTuple

from django.utils import timezone

from accounts.models import User
from audit import services as audit
from incidents.models import Incident, TimelineEntry


class Step(NamedTuple):
    """One entry to append: its kind, who did it (None for a system step) and what changed."""

    kind: str
    actor: User | None
    data: dict[str, Any]
    internal: bool = False  # the provider's only: never shown to an agency (incidents.disclosure)


def add_timeline_entry(
    *, incident: Incident, kind: str, actor: User | None, internal: bool = False, **data: Any
) -> TimelineEntry:
    """Append one entry to an incident's timeline (call inside the transaction of the change); every
    change to an incident is audited from here, in the same transaction."""
    return add_timeline_entries(incident=incident, steps=[Step(kind, actor, data, internal)])[0]


def add_timeline_entries(*, incident: Incident, steps: Sequence[Step]) -> list[TimelineEntry]:
    """Append several entries at once, in order, each audited: one insert for the entries and the audit
    log's three for their records, whatever their number."""
    entries = TimelineEntry.objects.bulk_create(
        [
            TimelineEntry(
                incident=incident,
                kind=step.kind,
                actor=step.actor,
                at=timezone.now(),
                data=step.data,
                internal=step.internal,
            )
            for step in steps
        ]
    )
    # In the trail of the actor's organization; a system step's, in the provider's.
    audit.record_many(
        {
            "action": f"incident.{step.kind}",
            "actor": step.actor,
            "obj": incident,
            "organization": None if step.actor else incident.site.provider,
        }
        for step in steps
    )
    return entries
