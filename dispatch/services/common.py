"""What every dispatch service shares: the refusal, the text rule, the escalation's row lock, and
the record of a change (its timeline entry and its numbered board event)."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F

from accounts.models import User
from dispatch import events, policy
from dispatch.models import BoardCursor, BoardEvent, Escalation
from incidents import services as incident_services
from incidents.models import TimelineEntry
from portal.realtime import publish_on_commit
from portal.text import clean_text

MAX_TEXT = 5_000


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def clean(value: str, *, field: str, required: str | None = None) -> str:
    value = clean_text(value, field=field, limit=MAX_TEXT)
    if required and not value:
        raise ValidationError({field: required})
    return value


def locked(escalation: Escalation) -> Escalation:
    """The escalation again, its row locked until the transaction ends, with what its events show."""
    return (
        Escalation.objects.select_for_update(of=("self",))
        .select_related("incident", "incident__site", "incident__category", "agency")
        .get(pk=escalation.pk)
    )


def next_board_sequence(agency_id: int) -> int:
    """The agency's next board number. The row lock it takes is held until commit, so numbers
    commit in the order they are handed out (call inside the transaction of the change)."""
    BoardCursor.objects.get_or_create(agency_id=agency_id)
    BoardCursor.objects.filter(agency_id=agency_id).update(last=F("last") + 1)
    return BoardCursor.objects.filter(agency_id=agency_id).values_list("last", flat=True).get()


def record_change(escalation: Escalation, /, *, by: User, name: str, kind: str, **data: Any) -> TimelineEntry:
    """Every escalation change and message, in the current transaction: its timeline entry, then its
    numbered board event. Publishing the event writes the outbox's rows at once (in-transaction
    follow-ups, FOLLOW_UPS in portal/celery.py) and pushes it after commit."""
    entry = incident_services.add_timeline_entry(incident=escalation.incident, kind=kind, actor=by, **data)
    extra: dict[str, Any] = {}
    if kind == TimelineEntry.Kind.MESSAGE:
        side = "agency" if policy.board_agency(by) else "provider"
        extra["message"] = events.message_payload(entry, by=by, side=side)
    record_board_event(escalation, by=by, name=name, entry=entry, extra=extra)
    return entry


def record_board_event(
    escalation: Escalation,
    /,
    *,
    by: User | None,
    name: str,
    entry: TimelineEntry | None = None,
    extra: dict[str, Any] | None = None,
) -> BoardEvent:
    """The agency's next numbered board event for the escalation as it stands, published on commit."""
    record = BoardEvent.objects.create(
        agency_id=escalation.agency_id,
        sequence=next_board_sequence(escalation.agency_id),
        name=name,
        escalation=escalation,
        payload=events.board_payload(escalation, extra),
    )
    publish_on_commit(events.board_event(record, escalation, by=by, entry=entry))
    return record
