"""Invitation and password-reset links point at the address the portal is served on (issue 14,
item 11): PUBLIC_URL when set, else the request's own scheme, host and port (never a fixed :8000)."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import Role
from portal import links

SERVED = "portal.example.org:8080"


@pytest.fixture
def served_here(settings):
    settings.ALLOWED_HOSTS = ["portal.example.org", "testserver"]
    settings.PUBLIC_URL_IS_SET = False
    settings.PUBLIC_URL = "http://127.0.0.1:8000"  # what a worker would use: not this request's address


def invite(client, world, django_capture_on_commit_callbacks, **extra) -> str:
    client.force_login(world.admin_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:invite"), {"email": "nia@example.test", "role": Role.SUPERVISOR}, **extra
        )
    assert response.status_code == 302
    [email] = mail.outbox
    return str(email.body)


def test_an_invitation_links_to_the_host_and_port_the_admin_used(
    client, world, served_here, django_capture_on_commit_callbacks, eager
):
    body = invite(client, world, django_capture_on_commit_callbacks, HTTP_HOST=SERVED)
    assert re.search(rf"http://{re.escape(SERVED)}/invitations/\S+/", body), body
    assert ":8000" not in body


def test_an_invitation_over_https_keeps_the_scheme(
    client, world, served_here, django_capture_on_commit_callbacks, eager
):
    body = invite(client, world, django_capture_on_commit_callbacks, HTTP_HOST=SERVED, secure=True)
    assert f"https://{SERVED}/invitations/" in body


def test_public_url_wins_over_the_request(client, world, settings, django_capture_on_commit_callbacks, eager):
    settings.ALLOWED_HOSTS = ["portal.example.org", "testserver"]
    settings.PUBLIC_URL_IS_SET, settings.PUBLIC_URL = True, "https://watchpost.example.org"
    body = invite(client, world, django_capture_on_commit_callbacks, HTTP_HOST=SERVED)
    assert "https://watchpost.example.org/invitations/" in body
    assert SERVED not in body


def test_the_link_in_the_email_opens_the_invitation(
    client, world, served_here, django_capture_on_commit_callbacks, eager
):
    body = invite(client, world, django_capture_on_commit_callbacks, HTTP_HOST=SERVED)
    path = re.search(rf"http://{re.escape(SERVED)}(/invitations/\S+/)", body).group(1)
    client.logout()
    assert client.get(path, HTTP_HOST=SERVED).status_code == 200


def test_a_password_reset_links_to_the_host_and_port_asked(client, world, served_here):
    response = client.post(
        reverse("account_reset_password"), {"email": world.guard_a.email}, HTTP_HOST=SERVED
    )
    assert response.status_code == 302
    [email] = mail.outbox
    assert re.search(rf"http://{re.escape(SERVED)}/accounts/password/reset/key/\S+/", email.body), email.body
    assert "127.0.0.1:8000" not in email.body


def test_a_password_reset_uses_public_url_when_set(client, world, settings):
    settings.PUBLIC_URL_IS_SET, settings.PUBLIC_URL = True, "https://watchpost.example.org"
    client.post(reverse("account_reset_password"), {"email": world.guard_a.email})
    [email] = mail.outbox
    assert "https://watchpost.example.org/accounts/password/reset/key/" in email.body


def test_without_a_request_the_link_uses_the_configured_address(settings):
    settings.PUBLIC_URL_IS_SET, settings.PUBLIC_URL = False, "http://localhost:8080"
    assert links.absolute_url("/incidents/") == "http://localhost:8080/incidents/"
