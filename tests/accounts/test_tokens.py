import hashlib
import uuid
from datetime import timedelta

import pytest
from allauth.mfa.models import Authenticator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services
from accounts.models import ApiToken, Role
from accounts.selectors import hash_token
from dispatch.services import escalate_incident
from incidents.models import Incident
from tests.factories import member, report

SITES = "/api/v1/sites/"


@pytest.fixture
def api():
    return APIClient()


def issue(world, user=None, by=None, name="Control room sync", scope=ApiToken.Scope.WRITE, **fields):
    return services.issue_api_token(
        user=user or world.supervisor_a, by=by or world.admin_a, name=name, scope=scope, **fields
    )


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


def test_a_platform_admin_issues_for_anyone_an_org_admin_could(world):
    token, _secret = issue(world, user=world.guard_b, by=world.platform)
    assert token.user == world.guard_b


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
        {
            "member": world.supervisor_a.membership.pk,
            "name": "Control room sync",
            "scope": "read",
            "days": 30,
        },
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
        reverse("accounts:token_issue"),
        {"member": world.guard_b.membership.pk, "name": "x", "scope": "read", "days": 30},
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


@pytest.mark.parametrize("who", ["guard_a", "supervisor_a"])
def test_the_token_pages_are_for_org_admins_and_liaisons(client, world, who):
    client.force_login(getattr(world, who))
    assert client.get(reverse("accounts:tokens")).status_code == 403
    assert client.get(reverse("accounts:token_issue")).status_code == 403


# --- Tokens keep the MFA rule (issue 13.2) ------------------------------------------------------


def stored_token(user, by) -> str:
    """A token row as an older release issued it (before the MFA and consent rules): its secret."""
    secret = f"wp_{uuid.uuid4().hex}"
    ApiToken.objects.create(
        user=user, name="Old CAD bridge", prefix=secret[:9], token_hash=hash_token(secret), created_by=by
    )
    return secret


@pytest.mark.parametrize("removed_later", [False, True], ids=["never-set-up", "removed-later"])
def test_a_token_acting_as_a_liaison_without_a_second_factor_is_refused(world, api, removed_later):
    liaison = member(Role.LIAISON, world.agency_x, mfa=removed_later)
    escalation = escalate_incident(incident=report(world.guard_a, world.a1), by=world.supervisor_a)
    secret = stored_token(liaison, by=world.admin_x)
    if removed_later:
        Authenticator.objects.filter(user=liaison).delete()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    board = api.get("/api/v1/board-events/", **auth)
    message = api.post(
        f"/api/v1/escalations/{escalation.public_id}/messages/", {"text": "On our way"}, format="json", **auth
    )
    for response in (board, message):
        assert response.status_code == 401
        assert response.json() == {
            "detail": "This token acts as someone who must use two-factor authentication and has not set "
            "it up: they sign in and set it up first.",
            "code": "mfa_required",
        }
    assert not escalation.incident.timeline.filter(kind="message").exists()


@pytest.mark.parametrize("who", ["liaison_x", "admin_x", "admin_a"])
def test_an_org_admin_may_not_issue_a_token_acting_as_a_liaison_or_another_admin(world, who):
    other_admin = member(Role.ORG_ADMIN, world.provider_a)
    owner = other_admin if who == "admin_a" else getattr(world, who)
    by = world.admin_a if who == "admin_a" else world.admin_x
    if who == "admin_x":
        by = member(Role.ORG_ADMIN, world.agency_x)
    with pytest.raises(PermissionDenied, match="must issue it themselves"):
        issue(world, user=owner, by=by)
    assert not ApiToken.objects.exists()


# --- Expiry and scope ----------------------------------------------------------------------------


def test_a_token_lasts_the_default_days_or_those_chosen_up_to_the_maximum(world, settings):
    settings.API_TOKEN_DEFAULT_DAYS, settings.API_TOKEN_MAX_DAYS = 30, 60
    default, _ = issue(world)
    assert abs(default.expires_at - (timezone.now() + timedelta(days=30))) < timedelta(seconds=10)
    chosen, _ = issue(world, days=60)
    assert abs(chosen.expires_at - (timezone.now() + timedelta(days=60))) < timedelta(seconds=10)
    for days in (0, 61):
        with pytest.raises(ValidationError) as error:
            issue(world, days=days)
        assert error.value.message_dict["days"] == ["A token is valid for 1 to 60 days."]
    with pytest.raises(ValidationError) as error:
        issue(world, scope="admin")
    assert "scope" in error.value.message_dict
    assert ApiToken.objects.count() == 2


def test_an_expired_token_gets_401_saying_so(world, api):
    token, secret = issue(world)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    response = api.get(SITES, HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"
    assert response.json()["detail"].startswith("The token expired on ")
    token.refresh_from_db()
    assert token.last_used_at is None


def test_a_read_only_token_reads_and_changes_nothing(world, api):
    _token, secret = issue(world, scope=ApiToken.Scope.READ)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    assert api.get("/api/v1/incidents/", **auth).status_code == 200
    response = api.post(
        "/api/v1/incidents/",
        {"idempotency_key": str(uuid.uuid4()), "site": world.a1.pk, "submit": False},
        format="json",
        **auth,
    )
    assert response.status_code == 403
    assert response.json() == {
        "detail": "This token is read-only: it may not change anything. Use a read-and-write token.",
        "code": "read_only_token",
    }
    assert not Incident.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_keeps_older_tokens_read_write_until_the_default_expiry(settings):
    settings.API_TOKEN_DEFAULT_DAYS = 30
    before = [("accounts", "0002_api_tokens")]
    executor = MigrationExecutor(connection)
    after = executor.loader.graph.leaf_nodes()  # every app back to its latest, whatever came since
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    user = old.get_model("accounts", "User").objects.create(email="cad@example.test")
    old.get_model("accounts", "ApiToken").objects.create(
        user=user, name="Old", prefix="wp_old", token_hash="0" * 64, created_by=user
    )
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    token = ApiToken.objects.get(name="Old")
    assert token.scope == ApiToken.Scope.WRITE
    assert abs(token.expires_at - (timezone.now() + timedelta(days=30))) < timedelta(minutes=1)
    assert ApiToken._meta.get_field("scope").default == ApiToken.Scope.READ


# --- Liaisons and admins issue their own (the consent rule) ---------------------------------------


def test_the_admins_form_offers_guards_supervisors_and_themselves_only(client, world):
    client.force_login(world.admin_x)
    offered = client.get(reverse("accounts:token_issue")).context["form"].fields["member"].queryset
    assert list(offered) == [world.admin_x.membership]
    client.force_login(world.admin_a)
    offered = client.get(reverse("accounts:token_issue")).context["form"].fields["member"].queryset
    assert set(offered) == {m.membership for m in (world.guard_a, world.supervisor_a, world.admin_a)}
    response = client.post(
        reverse("accounts:token_issue"),
        {"member": world.admin_a.membership.pk, "name": "Own sync", "scope": "read", "days": 7},
    )
    assert response.status_code == 200
    assert ApiToken.objects.get().user == world.admin_a


def test_a_liaison_issues_uses_and_revokes_their_own_token_on_the_page(client, world, api):
    client.force_login(world.liaison_x)
    assert reverse("accounts:tokens").encode() in client.get(reverse("home")).content
    page = client.get(reverse("accounts:token_issue"))
    assert list(page.context["form"].fields["member"].queryset) == [world.liaison_x.membership]
    response = client.post(
        reverse("accounts:token_issue"),
        {"member": world.liaison_x.membership.pk, "name": "CAD bridge", "scope": "read", "days": 30},
    )
    assert response.status_code == 200
    token = ApiToken.objects.get()
    assert (token.user, token.created_by, token.scope) == (world.liaison_x, world.liaison_x, "read")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {response.context['secret']}"}
    assert api.get("/api/v1/board-events/", **auth).status_code == 200

    # Their org admin sees it and may revoke it; the liaison sees only their own.
    other, _ = issue(world, user=world.guard_a)
    listing = client.get(reverse("accounts:tokens"))
    assert token.prefix.encode() in listing.content
    assert other.prefix.encode() not in listing.content
    assert client.post(reverse("accounts:token_revoke", args=[other.pk])).status_code == 404
    client.force_login(world.admin_x)
    assert token.prefix.encode() in client.get(reverse("accounts:tokens")).content
    client.force_login(world.liaison_x)
    assert client.post(reverse("accounts:token_revoke", args=[token.pk])).status_code == 302
    assert api.get("/api/v1/board-events/", **auth).status_code == 401


def test_nobody_issues_a_token_acting_as_a_platform_admin_or_a_taken_over_account(world):
    """A platform admin who somehow holds a membership still must use MFA: only they issue for themselves."""
    staff = member(Role.SUPERVISOR, world.provider_a, is_staff=True)
    with pytest.raises(PermissionDenied, match="must issue it themselves"):
        issue(world, user=staff, by=world.admin_a)
    with pytest.raises(PermissionDenied):
        issue(world, user=world.platform, by=world.platform)
    assert not ApiToken.objects.exists()
