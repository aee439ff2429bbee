"""The one path by which a committed change leaves its transaction: pushed to live clients through
the channel layer, and its Celery follow-ups queued — both only after the commit."""

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from asgiref.sync import async_to_sync
from celery import current_app
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    """A domain event: a dotted past-tense name, a JSON-ready payload, its recipients' groups, and
    the Celery tasks (by registered name, with their arguments) that follow it."""

    name: str
    payload: Mapping[str, Any]
    groups: Sequence[str] = field(default_factory=tuple)
    tasks: Sequence[tuple[str, tuple[Any, ...]]] = field(default_factory=tuple)

    def message(self) -> dict[str, Any]:
        return {"type": "event.message", "event": self.name, "payload": dict(self.payload)}


def publish_on_commit(event: Event, *, using: str | None = None) -> None:
    """Send ``event`` once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: send_event(event), using=using)


def send_event(event: Event) -> None:
    layer = get_channel_layer()
    for group in event.groups if layer is not None else ():
        try:
            async_to_sync(layer.group_send)(group, event.message())
        except Exception:
            # The channel layer is only the fast path; readers replay from the database.
            logger.exception("could not push %s to %s", event.name, group)
    for task_name, args in event.tasks:
        try:
            _task(task_name).apply_async(args=args)
        except Exception:
            # The broker may be down: the periodic sweepers pick the work up from the database.
            logger.exception("could not queue %s after %s", task_name, event.name)


def _task(name: str) -> Any:
    """A registered task by name; outside a worker the apps' tasks modules are imported on first use."""
    if name not in current_app.tasks:
        current_app.loader.import_default_modules()
    return current_app.tasks[name]
