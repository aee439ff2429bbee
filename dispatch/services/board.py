from typing import Any

from django.db.models import F

from dispatch import events
from dispatch.models import BoardCursor, BoardEvent, Escalation
from portal.realtime import publish_on_commit


def next_board_sequence(agency_id: int) -> int:
    """The agency's next board number. The row lock it takes is held until commit, so numbers
    commit in the order they are handed out (call inside the transaction of the change)."""
    BoardCursor.objects.get_or_create(agency_id=agency_id)
    BoardCursor.objects.filter(agency_id=agency_id).update(last=F("last") + 1)
    return BoardCursor.objects.filter(agency_id=agency_id).values_list("last", flat=True).get()


def record_board_event(
    *, escalation: Escalation, name: str, extra: dict[str, Any] | None = None
) -> BoardEvent:
    """Number and store a board event in the current transaction; push it live after commit."""
    record = BoardEvent.objects.create(
        agency_id=escalation.agency_id,
        sequence=next_board_sequence(escalation.agency_id),
        name=name,
        escalation=escalation,
        payload=events.board_payload(escalation, extra),
    )
    publish_on_commit(events.board_event(record, escalation))
    return record
