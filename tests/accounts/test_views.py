import re

import pytest
from django.contrib.auth import get_user
from django.core import mail
from django.urls import reverse

from accounts import selectors, services
from accounts.models import Invitation, Membership, Role, User
from tests.factories import PASSWORD, UserFactory

NEW_PASSWORD = "a-long-enough-passphrase"


def test_invitation_accept_then_login(client, world, django_capture_on_commit_callbacks, eager):
    client.force_login(world.admin_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:invite"),
            {"email": "nia@example.test", "role": Role.GUARD, "sites": [world.a1.pk]},
        )
    assert response.status_code == 302
    found = re.search(r"https?://[^/\s]+(/invitations/\S+/)", str(mail.outbox[0].body))
    assert found, mail.outbox[0].body
    path = found.group(1)
    client.logout()

    page = client.get(path)
    assert page.status_code == 200
    assert b"Join Provider A" in page.content
    response = client.post(
        path, {"full_name": "Nia Guard", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    )
    assert response.status_code == 302
    client.logout()

    response = client.post(reverse("account_login"), {"login": "nia@example.test", "password": NEW_PASSWORD})
    assert response.status_code == 302
    home = client.get(reverse("home"))
    assert b"Your sites" in home.content
    assert b"A1" in home.content
    assert client.get(path).status_code == 404


def test_mismatched_passwords_are_shown_and_nothing_is_created(client, world):
    _, token = services.invite_member(
        invited_by=world.admin_a,
        organization=world.provider_a,
        email="x@example.test",
        role=Role.SUPERVISOR,
    )
    response = client.post(
        reverse("accounts:invitation_accept", args=[token]),
        {"full_name": "X", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD + "!"},
    )
    assert response.status_code == 200
    assert b"The two passwords differ" in response.content
    assert not User.objects.filter(email="x@example.test").exists()


@pytest.mark.django_db
def test_there_is_no_sign_up(client):
    assert client.get("/accounts/signup/").status_code == 404
    response = client.post("/accounts/signup/", {"email": "eve@example.test", "password1": NEW_PASSWORD})
    assert response.status_code == 404
    assert not User.objects.exists()
    assert b"signup" not in client.get(reverse("account_login")).content.lower()


@pytest.mark.django_db
def test_pages_need_a_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


@pytest.mark.parametrize(
    ("who", "heading"),
    [
        ("guard_a", b"Your sites"),
        ("supervisor_a", b"Provider A \xe2\x80\x94 supervision"),
        ("liaison_x", b"Agency X \xe2\x80\x94 liaison"),
        ("admin_a", b"Provider A \xe2\x80\x94 administration"),
        ("platform", b"Platform administration"),
        ("nobody", b"Your account has no role"),
    ],
)
def test_each_role_lands_on_its_page(client, world, who, heading):
    client.force_login(getattr(world, who))
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert heading in response.content


def test_login_with_email_and_password(client, world):
    response = client.post(reverse("account_login"), {"login": world.guard_a.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("home")).context["user"] == world.guard_a


def test_a_deactivated_user_is_signed_out_at_once(client, world):
    client.force_login(world.guard_a)
    assert client.get(reverse("home")).status_code == 200
    world.guard_a.is_active = False
    world.guard_a.save()
    assert client.get(reverse("home")).status_code == 302


@pytest.mark.parametrize("who", ["guard_a", "supervisor_a", "liaison_x"])
def test_people_pages_are_for_org_admins_only(client, world, who):
    client.force_login(getattr(world, who))
    assert client.get(reverse("accounts:people")).status_code == 403
    assert client.get(reverse("accounts:invite")).status_code == 403


def test_people_list_shows_only_the_own_organization(client, world):
    client.force_login(world.admin_a)
    response = client.get(reverse("accounts:people"))
    assert world.guard_a.email.encode() in response.content
    assert world.guard_b.email.encode() not in response.content


def test_an_admin_cannot_reach_another_tenants_member(client, world):
    client.force_login(world.admin_a)
    other = world.guard_b.membership.pk
    assert client.get(reverse("accounts:member_edit", args=[other])).status_code == 404
    response = client.post(reverse("accounts:member_set_active", args=[other]), {"active": "0"})
    assert response.status_code == 404
    world.guard_b.refresh_from_db()
    assert world.guard_b.is_active


def test_admin_edits_role_and_sites(client, world):
    client.force_login(world.admin_a)
    url = reverse("accounts:member_edit", args=[world.guard_a.membership.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"role": Role.GUARD, "sites": [world.a1.pk, world.a2.pk]})
    assert response.status_code == 302
    assert set(world.guard_a.site_assignments.values_list("site__name", flat=True)) == {"A1", "A2"}


def test_admin_form_refuses_a_role_of_another_kind(client, world):
    client.force_login(world.admin_a)
    url = reverse("accounts:member_edit", args=[world.guard_a.membership.pk])
    response = client.post(url, {"role": Role.LIAISON})
    assert response.status_code == 200
    assert b"Select a valid choice" in response.content
    world.guard_a.membership.refresh_from_db()
    assert world.guard_a.membership.role == Role.GUARD


def test_admin_deactivates_and_revokes(client, world):
    client.force_login(world.admin_a)
    client.post(reverse("accounts:member_set_active", args=[world.guard_a.membership.pk]), {"active": "0"})
    world.guard_a.refresh_from_db()
    assert not world.guard_a.is_active
    client.post(reverse("accounts:invite"), {"email": "z@example.test", "role": Role.SUPERVISOR})
    invitation = world.provider_a.invitations.get()
    client.post(reverse("accounts:invitation_revoke", args=[invitation.pk]))
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None


# --- Invitations never take over an account (issue 13.1) ---------------------------------------


def test_inviting_an_address_that_already_has_an_account_is_refused_on_the_form(client, world):
    """The platform admin belongs to no organization: an org admin must not be able to invite them."""
    client.force_login(world.admin_a)
    response = client.post(
        reverse("accounts:invite"), {"email": world.platform.email.upper(), "role": Role.SUPERVISOR}
    )
    assert response.status_code == 200
    assert "already has a Watchpost account" in response.context["form"].errors["email"][0]
    assert not Invitation.objects.exists()


def test_a_guard_invited_with_no_site_is_refused_on_the_form(client, world):
    """A guard with no site would have nowhere to report from: the invitation does not go out."""
    client.force_login(world.admin_a)
    response = client.post(reverse("accounts:invite"), {"email": "nosite@example.test", "role": Role.GUARD})
    assert response.status_code == 200
    assert "A guard needs at least one site" in response.context["form"].errors["sites"][0]
    assert "A guard needs at least one site" in response.content.decode()
    assert not Invitation.objects.exists()
    response = client.post(
        reverse("accounts:invite"),
        {"email": "nosite@example.test", "role": Role.GUARD, "sites": [world.a1.pk]},
    )
    assert response.status_code == 302
    assert list(Invitation.objects.get().sites.all()) == [world.a1]


def test_accepting_never_changes_an_existing_accounts_password_nor_signs_it_in(client, world):
    """An account made for the address after the invitation was sent keeps its password."""
    _, token = services.invite_member(
        invited_by=world.admin_a,
        organization=world.provider_a,
        email="late@example.test",
        role=Role.SUPERVISOR,
    )
    existing = UserFactory(email="late@example.test", is_staff=True)
    response = client.post(
        reverse("accounts:invitation_accept", args=[token]),
        {"full_name": "Mallory", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert b"already has a Watchpost account" in response.content
    existing.refresh_from_db()
    assert existing.check_password(PASSWORD)
    assert existing.full_name != "Mallory"
    assert not Membership.objects.filter(user=existing).exists()
    assert get_user(client).is_anonymous
    assert selectors.get_pending_invitation(token=token) is not None


def test_an_accepted_invitation_leads_to_the_sign_in_and_its_second_factor(client, world):
    """Accepting makes the account and sends the newcomer to sign in: no session skips the MFA rule."""
    _, token = services.invite_member(
        invited_by=world.admin_x, organization=world.agency_x, email="lia@example.test", role=Role.LIAISON
    )
    response = client.post(
        reverse("accounts:invitation_accept", args=[token]),
        {"full_name": "Lia Son", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert response.url == reverse("account_login")
    assert get_user(client).is_anonymous
    assert client.get(reverse("dispatch:board")).url.startswith(reverse("account_login"))

    client.post(reverse("account_login"), {"login": "lia@example.test", "password": NEW_PASSWORD})
    board = client.get(reverse("dispatch:board"))
    assert board.status_code == 302
    assert board.url == reverse("mfa_activate_totp")
