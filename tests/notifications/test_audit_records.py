"""Escalation policies, webhooks (never their secret), notification settings and duty are audited."""

from django.urls import reverse

from audit.models import AuditEvent
from notifications.models import EscalationPolicy, WebhookEndpoint
from tests.audit.recorded import assert_verifies, last_id, record_of
from tests.notifications.test_views import policy_post


def test_escalation_policy_changes_are_recorded(client, world):
    client.force_login(world.admin_x)
    start = last_id()
    client.post(reverse("notifications:policy_new"), policy_post())
    policy = EscalationPolicy.objects.get(organization=world.agency_x)
    created = record_of("escalation_policy.created", after=start)
    assert (created.actor, created.organization, created.object_id) == (
        world.admin_x,
        world.agency_x,
        str(policy.pk),
    )
    assert created.data["steps"][0][:2] == [0, "on_duty_liaisons"]
    client.post(
        reverse("notifications:policy_edit", args=[policy.pk]),
        policy_post(
            **{
                "name": "Day paging",
                "steps-TOTAL_FORMS": "3",
                "steps-INITIAL_FORMS": "2",
                "steps-1-DELETE": "on",
                "steps-2-after": "0",
                "steps-2-unit": "minutes",
                "steps-2-target": "",
            }
        ),
    )
    assert record_of("escalation_policy.updated", after=start).object_id == str(policy.pk)
    client.post(reverse("notifications:policy_delete", args=[policy.pk]))
    deleted = record_of("escalation_policy.deleted", after=start)
    assert (deleted.actor, deleted.organization, deleted.object_id) == (
        world.admin_x,
        world.agency_x,
        str(policy.pk),
    )
    assert_verifies()


def test_webhook_changes_and_secret_rotation_are_recorded_without_the_secret(
    client, world, sink, private_webhooks
):
    client.force_login(world.admin_x)
    start = last_id()
    client.post(
        reverse("notifications:endpoint_new"),
        {"name": "CAD", "url": sink.url(), "events": ["page"], "is_active": "on"},
    )
    endpoint = WebhookEndpoint.objects.get(organization=world.agency_x)
    secrets = [endpoint.secret]
    created = record_of("webhook.created", after=start)
    assert (created.actor, created.organization, created.object_id) == (
        world.admin_x,
        world.agency_x,
        str(endpoint.public_id),
    )
    client.post(
        reverse("notifications:endpoint", args=[endpoint.public_id]),
        {"name": "CAD 2", "url": sink.url(), "events": ["page", "escalation_update"], "is_active": "on"},
    )
    assert record_of("webhook.updated", after=start).data["events"] == ["page", "escalation_update"]
    client.post(reverse("notifications:endpoint_rotate", args=[endpoint.public_id]))
    endpoint.refresh_from_db()
    secrets.append(endpoint.secret)
    rotated = record_of("webhook.secret_rotated", after=start)
    assert (rotated.actor, rotated.object_id) == (world.admin_x, str(endpoint.public_id))
    client.post(reverse("notifications:endpoint_delete", args=[endpoint.public_id]))
    assert record_of("webhook.deleted", after=start).object_id == str(endpoint.public_id)
    trail = AuditEvent.objects.filter(id__gt=start)
    assert not [
        event for event in trail for secret in secrets if secret in str(event.data) + event.object_label
    ]
    assert_verifies()


def test_notification_settings_and_duty_changes_are_recorded(client, world):
    client.force_login(world.supervisor_a)
    start = last_id()
    client.post(reverse("notifications:settings"), {"phone": "+44 7700 900123", "page__in_app": "on"})
    saved = record_of("notification_settings.saved", after=start)
    assert (saved.actor, saved.organization, saved.object_id) == (
        world.supervisor_a,
        world.provider_a,
        str(world.supervisor_a.pk),
    )
    assert saved.data["phone_set"] is True
    assert "page:in_app" in saved.data["enabled"]
    assert "7700" not in str(saved.data)
    client.force_login(world.liaison_x)
    client.post(reverse("notifications:duty"), {"on_duty": "0"})
    off = record_of("duty.off", after=start)
    assert (off.actor, off.organization) == (world.liaison_x, world.agency_x)
    client.post(reverse("notifications:duty"), {"on_duty": "1"})
    assert record_of("duty.on", after=start).actor == world.liaison_x
    assert_verifies()
