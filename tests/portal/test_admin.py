import pytest
from django.contrib import admin
from django.urls import reverse

from incidents.models import Category, Incident
from tests.factories import UserFactory, report


@pytest.fixture
def platform_client(client, db):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_every_admin_changelist_opens(platform_client, world):
    report(world.guard_a, world.a1)
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert platform_client.get(url).status_code == 200, url


def test_platform_admins_edit_categories(platform_client):
    response = platform_client.post(
        reverse("admin:incidents_category_add"),
        {
            "name": "Drone sighting",
            "code": "drone",
            "apco_code": "",
            "default_severity": 3,
            "position": 150,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert Category.objects.get(code="drone").name == "Drone sighting"


def test_incidents_are_read_only_in_the_admin(platform_client, world):
    incident = report(world.guard_a, world.a1)
    assert platform_client.get(reverse("admin:incidents_incident_add")).status_code == 403
    change = reverse("admin:incidents_incident_change", args=[incident.pk])
    assert platform_client.get(change).status_code == 200
    platform_client.post(change, {"narrative": "rewritten"})
    incident.refresh_from_db()
    assert incident.narrative != "rewritten"
    assert Incident.objects.count() == 1
