"""The inbox is its reader's own view: each notification's time in the reader's zone, named."""

from datetime import UTC, datetime

from django.urls import reverse

from notifications import services
from notifications.models import Notification, OutboxMessage


def test_the_inbox_shows_local_time_with_the_zone_abbreviation(client, world, escalate, monkeypatch):
    for message in OutboxMessage.objects.filter(escalation=escalate(), state="pending"):
        services.deliver_message(message_id=message.pk, claim="t")
    Notification.objects.filter(recipient=world.liaison_x).update(
        created_at=datetime(2026, 1, 15, 10, 5, 9, tzinfo=UTC)
    )
    world.agency_x.time_zone = "America/Chicago"
    world.agency_x.save(update_fields=["time_zone"])
    monkeypatch.setattr("django.utils.timezone.now", lambda: datetime(2027, 2, 1, tzinfo=UTC))
    client.force_login(world.liaison_x)
    page = client.get(reverse("notifications:inbox")).text
    assert "Thu 15 Jan 2026 04:05:09 CST" in page  # read in another year: the year is named
    monkeypatch.setattr("django.utils.timezone.now", lambda: datetime(2026, 6, 1, tzinfo=UTC))
    page = client.get(reverse("notifications:inbox")).text
    assert "Thu 15 Jan 04:05:09 CST" in page  # read the same year
    assert " UTC</time>" not in page
    world.liaison_x.time_zone = "Pacific/Auckland"
    world.liaison_x.save(update_fields=["time_zone"])
    assert "Thu 15 Jan 23:05:09 NZDT" in client.get(reverse("notifications:inbox")).text
