"""In-app: the notification lands in the person's inbox; their open pages update live."""

from django.db import transaction

from notifications import events
from notifications.models import Notification, OutboxMessage
from notifications.senders.base import SendResult
from portal.realtime import publish_on_commit


def send(message: OutboxMessage) -> SendResult:
    assert message.recipient is not None
    with transaction.atomic():
        # One inbox entry per outbox message, however often the delivery runs.
        notification, created = Notification.objects.get_or_create(
            message=message,
            defaults={
                "recipient": message.recipient,
                "kind": message.kind,
                "title": message.payload.get("title", "")[:200],
                "body": message.payload.get("text", ""),
                "url": message.payload.get("path", ""),
            },
        )
        if created:
            unread = Notification.objects.filter(recipient=message.recipient, read_at__isnull=True).count()
            publish_on_commit(events.notification_created(notification, unread=unread))
    return SendResult.delivered("in the inbox")
