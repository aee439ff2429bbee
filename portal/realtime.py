"""The one path by which a committed change leaves its transaction.

A service calls ``publish_on_commit(event)``. Once the transaction commits, the event is pushed to
live clients through the channel layer, and the Celery tasks that follow it (declared by event name
in ``FOLLOW_UPS``, portal/celery.py) are queued with the event's ``subject`` as their arguments.
Nothing is pushed or queued before the commit, and nothing at all for a rolled-back transaction.

Two deliberate exceptions, and only these:

- **In-transaction follow-ups** (``FollowUps.in_transaction``): functions called with the event at
  once, inside the publisher's transaction, so that what they write commits with the change that
  caused it or not at all. The notification outbox uses them — the outbox rows for an escalation
  are part of the escalation (DESIGN: "all in the same transaction") — and so does one writer of
  debriefs: the corrective action a briefing's decision becomes (``briefing.action_decided``), which
  is that decision's change. A lower app or a peer still never imports the writer: the table names it.
- **The outbox's delivery queue** (notifications/services/outbox.py): queueing an outbox row's
  delivery task after commit is the outbox's own business, and its periodic sweep re-queues whatever
  a lost commit hook or a down broker left behind.

(The audit sealer's checkpoint line, written to a file outside the database once its seals commit
(audit/services.py), is neither a push nor a follow-up: it is the sealer's own write.)
"""

import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from asgiref.sync import async_to_sync
from celery import current_app
from channels.layers import get_channel_layer
from django.db import transaction
from django.utils.module_loading import import_string

from portal.celery import FOLLOW_UPS, FollowUps

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    """A domain event: a dotted past-tense name, a JSON-ready payload, its recipients' groups, and
    the ids its follow-ups receive (``subject``: the arguments of their tasks)."""

    name: str
    payload: Mapping[str, Any]
    groups: Sequence[str] = field(default_factory=tuple)
    subject: tuple[Any, ...] = ()

    def message(self) -> dict[str, Any]:
        return {"type": "event.message", "event": self.name, "payload": dict(self.payload)}


def follow_ups(name: str) -> FollowUps:
    return FOLLOW_UPS.get(name, FollowUps())


def publish_on_commit(event: Event, *, using: str | None = None) -> None:
    """Run ``event``'s in-transaction follow-ups now; push it and queue its tasks once the current
    transaction commits (at once outside one)."""
    after = follow_ups(event.name)
    for path in after.in_transaction:
        import_string(path)(event)
    if event.groups or after.tasks:  # else nothing is left to do once it commits
        transaction.on_commit(lambda: send_event(event), using=using)


def send_event(event: Event) -> None:
    """Push ``event`` and queue its tasks now: only for what has already committed."""
    layer = get_channel_layer()
    for group in event.groups if layer is not None else ():
        try:
            async_to_sync(layer.group_send)(group, event.message())
        except Exception:
            # The channel layer is only the fast path; readers replay from the database.
            logger.exception("could not push %s to %s", event.name, group)
    for task_name in follow_ups(event.name).tasks:
        try:
            _task(task_name).apply_async(args=event.subject)
        except Exception:
            # The broker may be down: the periodic sweepers pick the work up from the database.
            logger.exception("could not queue %s after %s", task_name, event.name)


# Celery's autodiscovery runs once: a second thread asking for the tasks modules while the first is
# still importing them returned at once and found the task "never registered" (a fresh web process's
# first requests, side by side, lost their follow-ups: the fault run's unannounced reports).
_importing_tasks = threading.Lock()


def _task(name: str) -> Any:
    """A registered task by name; outside a worker the apps' tasks modules are imported on first use,
    by one thread while the others wait for them."""
    if name not in current_app.tasks:
        with _importing_tasks:
            if name not in current_app.tasks:
                current_app.loader.import_default_modules()
    return current_app.tasks[name]
