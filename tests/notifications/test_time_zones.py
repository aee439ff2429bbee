"""The inbox is its reader's own view: each notification's time in the reader's zone, named."""

from datetime import UTC, datetime

from django.urls import reverse

from notifications import services
from notifications.models import Notification, OutboxMessage


def test_the_inbox_shows_local_time_with_the_zone_abbreviation(client, world, escalate):
    for message in OutboxMessage.objects.filter(escalation=escalate(), state="pending"):
        services.deliver_message(message_id=message.pk, claim="t")
    Notification.objects.filter(recipient=world.liaison_x).update(
        created_at=datetime(2026, 1, 15, 10, 5, 9, tzinfo=UTC)
    )
    world.agency_x.time_zone = "America/Chicago"
    world.agency_x.save(update_fields=["time_zone"])
    client.force_login(world.liaison_x)
    page = client.get(reverse("notifications:inbox")).text
    assert "15 Jan 2026 04:05:09 CST" in page
    assert " UTC</time>" not in page
    world.liaison_x.time_zone = "Pacific/Auckland"
    world.liaison_x.save(update_fields=["time_zone"])
    assert "15 Jan 2026 23:05:09 NZDT" in client.get(reverse("notifications:inbox")).text
