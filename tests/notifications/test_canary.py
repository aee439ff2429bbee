"""The synthetic canary (issue 16 item 3, optional): off by default; when on, a test alert goes by
the chosen channel to the canary recipient every N minutes, and the platform admins are told when
one did not arrive in time (arrival as the channel can tell it, not the send)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications import selectors, services
from notifications.models import Channel, Kind, Notification, OutboxMessage
from notifications.services import heartbeats
from notifications.services.people import mark_received


@pytest.fixture
def canary(settings, world):
    settings.CANARY_MINUTES = 5
    settings.CANARY_CHANNEL = "in_app"
    settings.CANARY_RECIPIENT = world.liaison_x.email
    settings.CANARY_DEADLINE_SECONDS = 60


def canaries():
    return OutboxMessage.objects.filter(kind=Kind.CANARY, idempotency_key__startswith="canary:")


def missed_alerts():
    return OutboxMessage.objects.filter(kind=Kind.CANARY, idempotency_key__startswith="canary-missed:")


def test_the_canary_is_off_by_default(world):
    assert heartbeats.run_canary() == 0
    assert not canaries().exists()
    assert [s for s in selectors.list_heartbeats() if s.kind == "canary"] == []


def test_a_canary_that_arrives_in_time_is_ok_and_the_next_waits_its_minutes(world, canary):
    now = timezone.now()
    assert heartbeats.run_canary(now=now) == 1
    [message] = canaries()
    assert (message.recipient, message.channel) == (world.liaison_x, Channel.IN_APP)
    assert message.payload["title"].startswith("TEST, NOT A REAL ALERT:")
    services.deliver_message(message_id=message.pk, claim="t")
    notification = Notification.objects.get(message=message)
    mark_received(user=world.liaison_x, notification_id=notification.pk)  # the page has it

    assert heartbeats.run_canary(now=now + timedelta(minutes=1)) == 0  # not due again yet
    [signal] = [s for s in selectors.list_heartbeats(now=now + timedelta(minutes=1)) if s.kind == "canary"]
    assert signal.state == "ok"
    assert not missed_alerts().exists()
    assert heartbeats.run_canary(now=now + timedelta(minutes=5, seconds=1)) == 1


def test_a_canary_only_sent_but_never_seen_is_missed_and_the_platform_admins_are_told(world, canary):
    now = timezone.now()
    heartbeats.run_canary(now=now)
    [message] = canaries()
    services.deliver_message(message_id=message.pk, claim="t")  # in the inbox: sent, not received
    heartbeats.run_canary(now=now + timedelta(seconds=30))
    assert not missed_alerts().exists()  # within its deadline
    heartbeats.run_canary(now=now + timedelta(seconds=61))
    assert {(m.recipient, m.channel) for m in missed_alerts()} == {
        (world.platform, Channel.IN_APP),
        (world.platform, Channel.EMAIL),
    }
    [signal] = [s for s in selectors.list_heartbeats(now=now + timedelta(seconds=62)) if s.kind == "canary"]
    assert signal.state == "expired"
    heartbeats.run_canary(now=now + timedelta(seconds=90))
    assert missed_alerts().count() == 2  # told once
