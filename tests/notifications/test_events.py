"""Every notification event (notifications/events.py): its name, payload and recipients. They go to
the person's own notification sockets (the triage count: to the provider's supervisors') and cause
no other work."""

import uuid
from datetime import UTC, datetime

import pytest

from dispatch import services as dispatch_services
from incidents import services as incident_services
from incidents.models import Incident
from notifications import services
from notifications.models import Channel, Notification, OutboxMessage
from portal import realtime
from portal.celery import FOLLOW_UPS
from tests.factories import report


@pytest.fixture
def published(monkeypatch, django_capture_on_commit_callbacks):
    """Runs a change and returns the events that left its transaction (instead of pushing them)."""
    sent: list[realtime.Event] = []
    monkeypatch.setattr(realtime, "send_event", sent.append)

    def run(change, **kwargs):
        sent.clear()
        with django_capture_on_commit_callbacks(execute=True):
            change(**kwargs)
        return list(sent)

    return run


def paged_in_app(world, escalate):
    escalation = escalate()
    return OutboxMessage.objects.get(escalation=escalation, channel=Channel.IN_APP)


def test_a_notification_is_created_with_the_unread_count(world, escalate, published):
    message = paged_in_app(world, escalate)
    [event] = published(services.deliver_message, message_id=message.pk, claim="t")
    notification = Notification.objects.get(message=message)
    assert event.name == "notification.created"
    assert event.payload == {
        "unread": 1,
        "notification": {
            "id": notification.pk,
            "kind": "page",
            "alert": "Escalation",
            "sound": "escalation",
            "needs_ack": True,
            "title": notification.title,
            "body": notification.body,
            "url": f"/incidents/{message.incident.public_id}/",
            "created_at": notification.created_at.isoformat(),
            "created_local": f"{notification.created_at:%a %-d %b %H:%M:%S} UTC",
        },
    }
    assert event.groups == (f"notifications.{world.liaison_x.pk}",)
    assert event.subject == ()
    assert "notification.created" not in FOLLOW_UPS


def test_a_new_notification_names_its_time_in_the_recipients_zone(world, escalate, published, monkeypatch):
    world.liaison_x.time_zone = "Pacific/Auckland"
    world.liaison_x.save(update_fields=["time_zone"])
    message = paged_in_app(world, escalate)
    # Delivered later than it was queued (a summer's day in Auckland), as a worker would.
    monkeypatch.setattr("django.utils.timezone.now", lambda: datetime(2030, 1, 15, 10, 5, 9, tzinfo=UTC))
    [event] = published(services.deliver_message, message_id=message.pk, claim="t")
    assert event.payload["notification"]["created_local"] == "Tue 15 Jan 23:05:09 NZDT"


def test_reading_tells_the_persons_other_pages_the_new_count(world, escalate, published):
    message = paged_in_app(world, escalate)
    services.deliver_message(message_id=message.pk, claim="t")
    notification = Notification.objects.get(message=message)
    [event] = published(services.mark_read, user=world.liaison_x, notification_id=notification.pk)
    assert (event.name, event.payload) == ("notification.read", {"unread": 0})
    assert event.groups == (f"notifications.{world.liaison_x.pk}",)
    assert published(services.mark_all_read, user=world.liaison_x) == []  # nothing changed
    assert "notification.read" not in FOLLOW_UPS


def test_a_status_change_pushes_the_providers_triage_count_to_its_supervisors(world, published):
    incident = report(world.guard_a, world.a1)
    incident = incident_services.accept_incident(incident=incident, by=world.supervisor_a)
    # The follow-up of incident.status_changed (FOLLOW_UPS), as its task runs it after the commit.
    [event] = published(services.announce_triage, incident=incident)
    assert event.payload == {"open": 0, "reference": incident.reference, "status": "accepted"}
    assert event.groups == (f"triage.{world.provider_a.pk}",)
    assert event.subject == ()
    assert "triage.changed" not in FOLLOW_UPS


def test_a_panic_and_its_police_request_tell_the_providers_desks_and_nobody_elses(world, published):
    from_panic = published(
        dispatch_services.press_panic, guard=world.guard_a, site=world.a1, idempotency_key=uuid.uuid4()
    )
    desk = [event for event in from_panic if event.name == "desk.changed"]
    incident = Incident.objects.get(category__code="panic")
    # The police request (escalation.requested) and the panic itself (panic.pressed), in that order.
    assert [event.payload for event in desk] == [
        {"cause": "escalation.requested", "reference": incident.reference},
        {"cause": "panic.pressed", "reference": incident.reference},
    ]
    assert {event.groups for event in desk} == {(f"triage.{world.provider_a.pk}",)}
    assert all(event.subject == () for event in desk)
    assert "desk.changed" not in FOLLOW_UPS
    cancelled = published(dispatch_services.cancel_panic, incident=incident, by=world.guard_a)
    causes = [event.payload["cause"] for event in cancelled if event.name == "desk.changed"]
    assert causes == ["escalation.cancelled", "panic.cancelled"]
    assert (
        "notifications.services.alerts.handle_panic_cancelled" in FOLLOW_UPS["panic.cancelled"].in_transaction
    )
