"""In-app: the notification lands in the person's inbox; their open pages update live."""

from django.db import IntegrityError, connection, transaction

from notifications import events
from notifications.models import Notification, OutboxMessage
from notifications.senders.base import SendResult
from portal.realtime import publish_on_commit


def _store(message: OutboxMessage) -> Notification | None:
    """The message's inbox entry, stored once however often the delivery runs: None when an earlier
    run stored it. One INSERT, its unique message the guard (a read first, and a transaction
    around both, cost four more round trips per delivery: docs/RELIABILITY.md, "Delivery
    throughput"); inside a caller's transaction, in a savepoint, so that a repeat leaves it usable."""
    assert message.recipient is not None
    fields = {
        "message": message,
        "recipient": message.recipient,
        "kind": message.kind,
        "title": message.payload.get("title", "")[:200],
        "body": message.payload.get("text", ""),
        "url": message.payload.get("path", ""),
    }
    try:
        if connection.in_atomic_block:
            with transaction.atomic():
                return Notification.objects.create(**fields)
        return Notification.objects.create(**fields)
    except IntegrityError:
        if Notification.objects.filter(message=message).exists():
            return None
        raise


def send(message: OutboxMessage) -> SendResult:
    notification = _store(message)
    if notification is not None:
        unread = Notification.objects.filter(recipient=message.recipient, read_at__isnull=True).count()
        publish_on_commit(events.notification_created(notification, unread=unread))
    return SendResult.delivered("in the inbox")
