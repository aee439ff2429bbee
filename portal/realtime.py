"""The one path by which a committed change reaches live clients: the channel layer, after commit."""

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    """A domain event: a dotted past-tense name, a JSON-ready payload and its recipients' groups."""

    name: str
    payload: Mapping[str, Any]
    groups: Sequence[str] = field(default_factory=tuple)

    def message(self) -> dict[str, Any]:
        return {"type": "event.message", "event": self.name, "payload": dict(self.payload)}


def publish_on_commit(event: Event, *, using: str | None = None) -> None:
    """Send ``event`` to its groups once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: send_event(event), using=using)


def send_event(event: Event) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    for group in event.groups:
        try:
            async_to_sync(layer.group_send)(group, event.message())
        except Exception:
            # The channel layer is only the fast path; readers replay from the database.
            logger.exception("could not push %s to %s", event.name, group)
