"""Notification events: a person's unread count and new notifications, to their sockets only; a
provider's triage queue count, to its supervisors' sockets. Sent only through publish_on_commit."""

from typing import Any

from django.utils import timezone

from accounts.selectors import get_time_zone
from notifications import content
from notifications.models import Notification
from portal import zones
from portal.realtime import Event


def notification_group(user_id: int) -> str:
    """Only the person's own notification sockets join it (not their board or incident pages)."""
    return f"notifications.{user_id}"


def notification_payload(notification: Notification) -> dict[str, Any]:
    style = content.alert_style(notification.kind, notification.message.payload)
    return {
        "id": notification.pk,
        "kind": notification.kind,
        # An alert's look and sound (panic, escalation, bulletin, missed check-in, test...), else none.
        "alert": style.name if style else "",
        "sound": style.sound if style else "",
        "needs_ack": notification.message.alert_id is not None,
        "title": notification.title,
        "body": notification.body,
        "url": notification.url,
        "created_at": notification.created_at.isoformat(),
        # As the inbox shows it: the recipient's own zone, named (the page's clock may be elsewhere).
        "created_local": zones.shown_datetime(
            timezone.localtime(notification.created_at, get_time_zone(for_user=notification.recipient)),
            seconds=True,
        ),
    }


def notification_created(notification: Notification, *, unread: int) -> Event:
    """``notification.created``: the new notification and the recipient's unread count."""
    return Event(
        name="notification.created",
        payload={"unread": unread, "notification": notification_payload(notification)},
        groups=(notification_group(notification.recipient_id),),
    )


def unread_changed(user_id: int, *, unread: int) -> Event:
    """``notification.read``: the unread count after the person read some (other tabs follow)."""
    return Event(name="notification.read", payload={"unread": unread}, groups=(notification_group(user_id),))


def triage_group(provider_id: int) -> str:
    """The provider's supervisors' notification sockets (every page's navigation, the triage page)."""
    return f"triage.{provider_id}"


def triage_changed(provider_id: int, *, open_count: int, reference: str, status: str) -> Event:
    """``triage.changed``: a report of the provider changed status; the queue's count as it now is."""
    return Event(
        name="triage.changed",
        payload={"open": open_count, "reference": reference, "status": status},
        groups=(triage_group(provider_id),),
    )


def desk_changed(provider_id: int, *, event: str, reference: str) -> Event:
    """``desk.changed``: a panic, an escalation or a report of the provider changed; the supervisors'
    open desks (their home) fetch their panels again. Rides the triage group (same sockets)."""
    return Event(
        name="desk.changed",
        payload={"cause": event, "reference": reference},
        groups=(triage_group(provider_id),),
    )
