"""Pages: the inbox and settings for everyone, duty for liaisons, policies and webhooks for admins,
and the incident's notification log."""

import pytest
from django.urls import reverse

from notifications import content, selectors, services
from notifications.models import (
    Channel,
    EscalationPolicy,
    Kind,
    Notification,
    NotificationProfile,
    OutboxMessage,
    Target,
    WebhookEndpoint,
)
from tests.notifications.helpers import WRAPPED_PRIVATE, step


def deliver_all(escalation):
    for message in OutboxMessage.objects.filter(escalation=escalation, state="pending"):
        services.deliver_message(message_id=message.pk, claim="t")


def test_the_inbox_lists_the_persons_notifications_and_marks_them_read(client, world, escalate):
    deliver_all(escalate())
    client.force_login(world.liaison_x)
    page = client.get(reverse("notifications:inbox"))
    assert page.status_code == 200
    assert page.context["unread"] == 1
    assert "data-unread-count>1</span>" in page.content.decode()  # the navigation's count
    (notification,) = Notification.objects.filter(recipient=world.liaison_x)
    assert notification.title in page.content.decode()
    client.post(reverse("notifications:read", args=[notification.pk]))
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert client.get(reverse("notifications:inbox")).context["unread"] == 0


def test_nobody_reads_or_marks_anothers_notifications(client, world, escalate):
    deliver_all(escalate())
    notification = Notification.objects.get(recipient=world.liaison_x)
    client.force_login(world.liaison_y)
    assert notification.title not in client.get(reverse("notifications:inbox")).content.decode()
    assert client.post(reverse("notifications:read", args=[notification.pk])).status_code == 404
    client.post(reverse("notifications:read_all"))
    notification.refresh_from_db()
    assert notification.read_at is None


def test_settings_store_the_number_and_channel_choices(client, world):
    client.force_login(world.supervisor_a)
    assert client.get(reverse("notifications:settings")).status_code == 200
    response = client.post(
        reverse("notifications:settings"),
        {"phone": "+44 7700 900123", "page__in_app": "on", "escalation_update__email": "on"},
    )
    assert response.status_code == 302
    assert NotificationProfile.objects.get(user=world.supervisor_a).phone == "+447700900123"
    matrix = selectors.preference_matrix(user=world.supervisor_a)
    assert matrix[(Kind.UPDATE, Channel.EMAIL)] is True
    assert matrix[(Kind.PAGE, Channel.EMAIL)] is False
    bad = client.post(reverse("notifications:settings"), {"phone": "07700"})
    assert "international format" in bad.content.decode()


def test_liaisons_go_off_duty_from_the_board(client, world):
    client.force_login(world.liaison_x)
    board = client.get(reverse("dispatch:board")).content.decode()
    assert "Go off duty" in board
    client.post(reverse("notifications:duty"), {"on_duty": "0", "next": "/board/"})
    assert NotificationProfile.objects.get(user=world.liaison_x).on_duty is False
    assert "Go on duty" in client.get(reverse("dispatch:board")).content.decode()


def test_only_liaisons_and_supervisors_have_a_duty(client, world):
    client.force_login(world.guard_a)
    assert client.post(reverse("notifications:duty"), {"on_duty": "0"}).status_code == 403
    client.force_login(world.supervisor_a)
    response = client.post(reverse("notifications:duty"), {"on_duty": "0"}, follow=True)
    assert "only when no other supervisor is on duty" in response.content.decode()
    assert NotificationProfile.objects.get(user=world.supervisor_a).on_duty is False


def policy_post(**extra):
    data = {
        "name": "Night paging",
        "site": "",
        "is_active": "on",
        "steps-TOTAL_FORMS": "2",
        "steps-INITIAL_FORMS": "0",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "10",
        "steps-0-after": "0",
        "steps-0-unit": "minutes",
        "steps-0-target": Target.ON_DUTY_LIAISONS,
        "steps-0-channels": [Channel.IN_APP, Channel.EMAIL],
        "steps-0-required_channels": [Channel.IN_APP],
        "steps-1-after": "1",
        "steps-1-unit": "minutes",
        "steps-1-target": Target.WEBHOOKS,
    }
    data.update(extra)
    return data


def test_an_org_admin_writes_the_agencys_escalation_policy(client, world):
    client.force_login(world.admin_x)
    assert client.get(reverse("notifications:policies")).status_code == 200
    assert client.get(reverse("notifications:policy_new")).status_code == 200
    response = client.post(reverse("notifications:policy_new"), policy_post())
    assert response.status_code == 302, response.content.decode()
    policy = EscalationPolicy.objects.get(organization=world.agency_x)
    assert [(s.delay_seconds, s.target, s.channels) for s in policy.steps.all()] == [
        (0, Target.ON_DUTY_LIAISONS, [Channel.IN_APP, Channel.EMAIL]),
        (60, Target.WEBHOOKS, []),
    ]
    listing = client.get(reverse("notifications:policies")).content.decode()
    assert "Night paging" in listing
    form = client.get(reverse("notifications:policy_edit", args=[policy.pk])).context["steps"]
    assert form.initial_form_count() == 2
    edit = client.post(
        reverse("notifications:policy_edit", args=[policy.pk]),
        policy_post(
            **{
                "name": "Day paging",
                "steps-TOTAL_FORMS": "3",
                "steps-INITIAL_FORMS": "2",
                "steps-1-DELETE": "on",
                "steps-2-after": "0",  # the untouched extra row, as a browser sends it
                "steps-2-unit": "minutes",
                "steps-2-target": "",
            }
        ),
    )
    assert edit.status_code == 302
    policy.refresh_from_db()
    assert (policy.name, policy.steps.count()) == ("Day paging", 1)


@pytest.mark.parametrize("who", ["liaison_x", "admin_y_missing", "supervisor_a"])
def test_only_the_organizations_admins_manage_its_policies_and_webhooks(client, world, who):
    user = getattr(world, who, world.admin_a if who == "admin_y_missing" else None)
    client.force_login(user)
    if who == "admin_y_missing":
        # Provider A's admin manages provider A's policies only: agency X's stay out of reach.
        policy = services.save_escalation_policy(
            by=world.admin_x, organization=world.agency_x, name="X", site=None, steps=[step(0)]
        )
        assert client.get(reverse("notifications:policy_edit", args=[policy.pk])).status_code == 404
        assert client.post(reverse("notifications:policy_delete", args=[policy.pk])).status_code == 404
        return
    for name in ("notifications:policies", "notifications:endpoints", "notifications:policy_new"):
        assert client.get(reverse(name)).status_code == 403


def test_a_site_policy_offers_only_the_organizations_own_sites(client, world):
    client.force_login(world.admin_x)
    response = client.post(reverse("notifications:policy_new"), policy_post(site=str(world.b1.pk)))
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_an_admin_adds_an_endpoint_sends_a_test_and_reads_its_log(
    client, world, sink, private_webhooks, django_capture_on_commit_callbacks, eager
):
    client.force_login(world.admin_x)
    response = client.post(
        reverse("notifications:endpoint_new"),
        {"name": "CAD", "url": sink.url(), "events": ["page", "escalation_update"], "is_active": "on"},
    )
    endpoint = WebhookEndpoint.objects.get(organization=world.agency_x)
    assert response.url == reverse("notifications:endpoint", args=[endpoint.public_id])
    sink.secret = endpoint.secret
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("notifications:endpoint_test", args=[endpoint.public_id]))
    assert sink.received[0].signature_ok
    page = client.get(reverse("notifications:endpoint", args=[endpoint.public_id])).content.decode()
    assert "Delivery log" in page
    assert "HTTP 200" in page
    assert endpoint.secret in page
    client.post(reverse("notifications:endpoint_rotate", args=[endpoint.public_id]))
    endpoint.refresh_from_db()
    assert endpoint.secret != sink.secret
    client.force_login(world.admin_a)
    assert client.get(reverse("notifications:endpoint", args=[endpoint.public_id])).status_code == 404


def test_the_incident_page_lists_who_was_notified_how_and_the_result(client, world, escalate, settings):
    settings.SMS_PROVIDER_URL = ""
    services.save_escalation_policy(
        by=world.admin_x,
        organization=world.agency_x,
        name="Paging",
        site=None,
        steps=[step(0, channels=[Channel.IN_APP, Channel.SMS])],
    )
    escalation = escalate()
    deliver_all(escalation)
    for who in (world.supervisor_a, world.liaison_x, world.guard_a):
        client.force_login(who)
        page = client.get(reverse("incidents:detail", args=[escalation.incident.public_id])).content.decode()
        assert "Who was notified" in page
        assert str(world.liaison_x) in page
        assert "Delivered" in page
        assert "In-app" in page
        assert "Skipped" in page
        assert "SMS_PROVIDER_URL is unset" in page
    log = OutboxMessage.objects.filter(incident=escalation.incident)
    assert {m.state for m in log} == {"delivered", "skipped"}


def test_the_org_admin_home_links_to_policies_and_webhooks(client, world):
    client.force_login(world.admin_x)
    page = client.get("/").content.decode()
    assert reverse("notifications:policies") in page
    assert reverse("notifications:endpoints") in page


def test_emails_link_to_the_settings_page():
    assert reverse("notifications:settings") == content.SETTINGS_PATH


@pytest.mark.parametrize("url", WRAPPED_PRIVATE)
def test_an_endpoint_on_a_private_address_wrapped_in_ipv6_is_refused_on_the_form(
    client, world, url, settings
):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    client.force_login(world.admin_x)
    response = client.post(
        reverse("notifications:endpoint_new"),
        {"name": "CAD", "url": url, "events": ["page"], "is_active": "on"},
    )
    assert response.status_code == 200
    assert "private network" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_the_delivery_log_says_in_words_what_happened_and_keeps_the_raw_error(
    client, world, sink, private_webhooks, django_capture_on_commit_callbacks, eager, monkeypatch
):
    """The log showed "test test:d98bf…" and "gaierror: [Errno -2] Name or service not known"."""
    import socket

    client.force_login(world.admin_x)
    client.post(
        reverse("notifications:endpoint_new"),
        {"name": "CAD", "url": sink.url(), "events": ["page"], "is_active": "on"},
    )
    endpoint = WebhookEndpoint.objects.get(organization=world.agency_x)
    sink.secret = endpoint.secret
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("notifications:endpoint_test", args=[endpoint.public_id]))

    def unknown_host(*args, **kwargs):
        raise socket.gaierror(-2, "Name or service not known")

    monkeypatch.setattr("notifications.senders.webhook.post", unknown_host)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("notifications:endpoint_test", args=[endpoint.public_id]))
    page = client.get(reverse("notifications:endpoint", args=[endpoint.public_id])).content.decode()
    assert "Test event</td>" in page
    assert "Delivered: the server answered HTTP 200." in page
    assert "The address&#x27;s host name could not be found." in page
    # The raw error and the key stay at hand, folded away.
    details = page.split("<summary>Technical detail</summary>")[1]
    assert "gaierror: [Errno -2] Name or service not known" in details
    assert "Idempotency-Key test:" in details
    assert '">test test:' not in page
