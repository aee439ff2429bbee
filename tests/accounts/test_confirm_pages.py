"""Destructive actions confirm on a page of their own (issue 14, item 10): the GET says what will
happen and changes nothing; the POST does it. The lists link to them in the danger style."""

from django.urls import reverse

from accounts import services
from accounts.models import ApiToken, Role


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode().replace("&#x27;", "'")


def test_deactivating_someone_asks_first_and_says_what_happens(client, world):
    client.force_login(world.admin_a)
    listing = page(client, reverse("accounts:people"))
    url = reverse("accounts:member_set_active", args=[world.guard_a.membership.pk])
    assert f'class="button secondary danger" href="{url}"' in listing
    shown = page(client, url)
    assert "Are you sure you want to deactivate" in shown
    assert "What will happen" in shown
    assert "They can no longer sign in" in shown
    assert 'class="danger"' in shown
    world.guard_a.refresh_from_db()
    assert world.guard_a.is_active  # the question changed nothing
    assert client.post(url, {"active": "0"}).status_code == 302
    world.guard_a.refresh_from_db()
    assert not world.guard_a.is_active
    again = page(client, url)  # now the page offers the way back
    assert "Reactivate" in again
    assert "Are you sure" not in again
    client.post(url, {"active": "1"})
    world.guard_a.refresh_from_db()
    assert world.guard_a.is_active


def test_revoking_an_invitation_asks_first(client, world):
    invitation, _ = services.invite_member(
        invited_by=world.admin_a, organization=world.provider_a, email="z@example.test", role=Role.SUPERVISOR
    )
    client.force_login(world.admin_a)
    url = reverse("accounts:invitation_revoke", args=[invitation.pk])
    assert f'href="{url}"' in page(client, reverse("accounts:people"))
    shown = page(client, url)
    assert "Are you sure you want to revoke the invitation for z@example.test?" in shown
    assert "The link in the email stops working at once" in shown
    invitation.refresh_from_db()
    assert invitation.revoked_at is None
    client.post(url)
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None


def test_revoking_a_token_asks_first(client, world):
    token, _ = services.issue_api_token(
        user=world.guard_a, by=world.admin_a, name="CAD bridge", scope=ApiToken.Scope.READ
    )
    client.force_login(world.admin_a)
    url = reverse("accounts:token_revoke", args=[token.pk])
    assert f'class="button secondary danger" href="{url}"' in page(client, reverse("accounts:tokens"))
    shown = page(client, url)
    assert f"Are you sure you want to revoke the token {token.prefix}… (CAD bridge)" in shown
    assert "This cannot be undone" in shown
    token.refresh_from_db()
    assert token.revoked_at is None
    client.post(url)
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_the_confirmation_pages_keep_to_their_admins(client, world):
    """Another organization's admin finds nothing to confirm; a guard may not ask."""
    client.force_login(world.admin_b)
    assert (
        client.get(reverse("accounts:member_set_active", args=[world.guard_a.membership.pk])).status_code
        == 404
    )
    client.force_login(world.guard_a)
    assert (
        client.get(reverse("accounts:member_set_active", args=[world.guard_a.membership.pk])).status_code
        == 403
    )
