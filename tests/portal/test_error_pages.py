"""The pages a person meets when a request is refused, missing or fails: the portal's own, with its
navigation and a way back, not the bare "403 Forbidden" a supervisor met on the audit trail."""

import pytest
from django.test import Client, override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_refused_page_says_why_in_the_portal(client, world):
    client.force_login(world.supervisor_a)
    response = client.get(reverse("audit:trail"))
    assert response.status_code == 403
    page = response.content.decode()
    assert "This page is not open to you" in page
    assert f"Your role (Supervisor, {world.provider_a}) does not let you open it." in page
    assert "Nothing was changed." in page
    assert f'href="{reverse("home")}"' in page
    assert "/accounts/logout/" in page  # the portal's navigation, signed in


def test_a_missing_page_is_the_portals(client, world):
    client.force_login(world.guard_a)
    response = client.get("/incidents/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Nothing here" in page
    assert "/accounts/logout/" in page


def test_a_server_error_keeps_the_person_calm_and_says_what_is_kept(world, settings):
    settings.DEBUG = False
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    client = Client(raise_request_exception=False)
    client.force_login(world.guard_a)
    with override_settings(ROOT_URLCONF="tests.portal.failing_urls"):
        response = client.get("/fail/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong on our side" in page
    assert "use your radio or phone" in page
