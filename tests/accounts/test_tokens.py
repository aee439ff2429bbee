import hashlib
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services
from accounts.models import ApiToken

SITES = "/api/v1/sites/"


@pytest.fixture
def api():
    return APIClient()


def issue(world, user=None, by=None, name="Control room sync"):
    return services.issue_api_token(user=user or world.supervisor_a, by=by or world.admin_a, name=name)


def test_issuing_returns_the_secret_once_and_stores_only_its_hash(world):
    token, secret = issue(world)
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret.startswith(stored.prefix)
    assert len(stored.prefix) < 12 < len(secret)
    for field in ApiToken._meta.concrete_fields:
        assert secret not in str(getattr(stored, field.attname))
    assert stored.user == world.supervisor_a
    assert stored.created_by == world.admin_a
    assert stored.last_used_at is None


@pytest.mark.parametrize("keyword", ["Bearer", "Token", "bearer"])
def test_a_token_authenticates_as_its_user_and_records_its_use(world, api, keyword):
    token, secret = issue(world)
    response = api.get(SITES, HTTP_AUTHORIZATION=f"{keyword} {secret}")
    assert response.status_code == 200
    assert {site["name"] for site in response.json()["results"]} == {"A1", "A2"}
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert timezone.now() - token.last_used_at < timedelta(seconds=10)


def test_a_token_is_not_a_session_and_needs_no_csrf(world):
    _token, secret = issue(world)
    api = APIClient(enforce_csrf_checks=True)
    response = api.post(
        "/api/v1/incidents/",
        {"idempotency_key": "5a0c6a7e-1d1b-4b37-9a55-0a43b9a0f0a1", "site": world.a1.pk, "submit": False},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == 201, response.json()
    assert "sessionid" not in response.cookies


def test_a_revoked_token_gets_401(world, api):
    token, secret = issue(world)
    services.revoke_api_token(token=token, by=world.admin_a)
    response = api.get(SITES, HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 401
    assert response.json() == {
        "detail": "The token is not valid, or it was revoked.",
        "code": "authentication_failed",
    }
    assert response["WWW-Authenticate"].startswith("Bearer")
    token.refresh_from_db()
    assert token.revoked_by == world.admin_a


def test_a_deactivated_users_token_gets_401(world, api):
    _token, secret = issue(world)
    services.set_member_active(membership=world.supervisor_a.membership, by=world.admin_a, active=False)
    response = api.get(SITES, HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 401
    assert "deactivated" in response.json()["detail"]


@pytest.mark.parametrize("header", ["Bearer", "Bearer wp_unknown", "Bearer two words", "Token \xe9"])
def test_a_malformed_or_unknown_token_gets_401(world, api, header):
    response = api.get(SITES, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_an_org_admin_cannot_issue_or_revoke_for_another_organizations_member(world):
    with pytest.raises(PermissionDenied):
        issue(world, user=world.guard_b, by=world.admin_a)
    token, _secret = issue(world, user=world.guard_b, by=world.admin_b)
    with pytest.raises(PermissionDenied):
        services.revoke_api_token(token=token, by=world.admin_a)
    assert not ApiToken.objects.filter(user=world.guard_b).exclude(pk=token.pk).exists()


@pytest.mark.parametrize("who", ["supervisor_a", "guard_a", "liaison_x", "nobody"])
def test_only_admins_issue_tokens(world, who):
    with pytest.raises(PermissionDenied):
        issue(world, user=world.guard_a, by=getattr(world, who))


def test_a_platform_admin_issues_for_anyone(world):
    token, _secret = issue(world, user=world.liaison_x, by=world.platform)
    assert token.user == world.liaison_x


def test_a_token_needs_a_name_and_an_active_user(world):
    with pytest.raises(ValidationError) as error:
        issue(world, name="  ")
    assert "name" in error.value.message_dict
    services.set_member_active(membership=world.guard_a.membership, by=world.admin_a, active=False)
    with pytest.raises(ValidationError) as error:
        issue(world, user=world.guard_a)
    assert "user" in error.value.message_dict


# --- The org admin's pages --------------------------------------------------------------------


def test_the_people_page_links_to_the_tokens_page(client, world):
    client.force_login(world.admin_a)
    assert reverse("accounts:tokens").encode() in client.get(reverse("accounts:people")).content


def test_an_admin_issues_a_token_on_the_page_and_sees_it_only_once(client, world):
    client.force_login(world.admin_a)
    assert client.get(reverse("accounts:token_issue")).status_code == 200
    response = client.post(
        reverse("accounts:token_issue"),
        {"member": world.supervisor_a.membership.pk, "name": "Control room sync"},
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get()
    secret = response.context["secret"]
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret.encode() in response.content

    listing = client.get(reverse("accounts:tokens"))
    assert listing.status_code == 200
    assert token.prefix.encode() in listing.content
    assert secret.encode() not in listing.content
    assert APIClient().get(SITES, HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200


def test_the_issue_form_offers_only_the_admins_own_active_members(client, world):
    client.force_login(world.admin_a)
    response = client.post(
        reverse("accounts:token_issue"), {"member": world.guard_b.membership.pk, "name": "x"}
    )
    assert response.status_code == 200
    assert "member" in response.context["form"].errors
    assert not ApiToken.objects.exists()


def test_an_admin_revokes_on_the_page(client, world):
    token, secret = issue(world)
    client.force_login(world.admin_a)
    response = client.post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert APIClient().get(SITES, HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401


def test_another_organizations_token_is_not_found_on_the_pages(client, world):
    token, _secret = issue(world, user=world.guard_b, by=world.admin_b)
    client.force_login(world.admin_a)
    assert token.prefix.encode() not in client.get(reverse("accounts:tokens")).content
    assert client.post(reverse("accounts:token_revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.parametrize("who", ["guard_a", "supervisor_a", "liaison_x"])
def test_the_token_pages_are_for_org_admins(client, world, who):
    client.force_login(getattr(world, who))
    assert client.get(reverse("accounts:tokens")).status_code == 403
    assert client.get(reverse("accounts:token_issue")).status_code == 403
