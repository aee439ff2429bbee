"""Deleting a policy or an endpoint, and replacing an endpoint's secret, confirm on a page of their
own (issue 14, item 10): the GET says what will happen and changes nothing; the POST does it."""

from django.urls import reverse

from notifications import services as notification_services
from notifications.models import EscalationPolicy, WebhookEndpoint
from tests.notifications.helpers import step


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode().replace("&#x27;", "'")


def test_deleting_a_policy_asks_first_and_says_what_replaces_it(client, world):
    policy = notification_services.save_escalation_policy(
        by=world.admin_x, organization=world.agency_x, name="Nights", site=world.a1, steps=[step(0)]
    )
    client.force_login(world.admin_x)
    url = reverse("notifications:policy_delete", args=[policy.pk])
    assert f'href="{url}"' in page(client, reverse("notifications:policies"))
    shown = page(client, url)
    assert "Are you sure you want to delete the escalation policy “Nights”" in shown
    assert "that site's escalations follow your default policy" in shown
    assert EscalationPolicy.objects.filter(pk=policy.pk).exists()
    client.post(url)
    assert not EscalationPolicy.objects.filter(pk=policy.pk).exists()


def test_deleting_an_endpoint_and_replacing_its_secret_ask_first(client, world):
    endpoint = WebhookEndpoint.objects.create(
        organization=world.agency_x,
        name="Duty pager",
        url="https://pager.example.org/hook",
        secret="s" * 40,
        events=["page"],
        created_by=world.admin_x,
    )
    client.force_login(world.admin_x)
    detail = page(client, reverse("notifications:endpoint", args=[endpoint.public_id]))
    rotate = reverse("notifications:endpoint_rotate", args=[endpoint.public_id])
    delete = reverse("notifications:endpoint_delete", args=[endpoint.public_id])
    assert f'href="{rotate}"' in detail
    assert f'href="{delete}"' in detail
    shown = page(client, rotate)
    assert "The old secret stops working at once" in shown
    endpoint.refresh_from_db()
    assert endpoint.secret == "s" * 40
    client.post(rotate)
    endpoint.refresh_from_db()
    assert endpoint.secret != "s" * 40
    assert "Are you sure you want to delete the webhook endpoint Duty pager" in page(client, delete)
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()
    client.post(delete)
    assert not WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()
