import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from accounts import selectors, services
from accounts.models import Invitation, Membership, Role, SiteAssignment, User

PASSWORD = "a-long-enough-passphrase"


def invite(world, **overrides):
    fields = {
        "invited_by": world.admin_a,
        "organization": world.provider_a,
        "email": "New.Guard@Example.test",
        "role": Role.GUARD,
        "sites": [world.a2],
    }
    fields.update(overrides)
    return services.invite_member(**fields)


def test_invitation_is_emailed_after_commit_with_a_working_link(
    world, django_capture_on_commit_callbacks, eager
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        invitation, token = invite(world)
    assert len(callbacks) == 1
    assert invitation.email == "new.guard@example.test"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new.guard@example.test"]
    assert services.invitation_url(token) in mail.outbox[0].body
    assert token not in invitation.token_hash
    assert selectors.get_pending_invitation(token=token) == invitation


def test_accepting_creates_the_account_role_and_sites(world):
    invitation, token = invite(world)
    user = services.accept_invitation(token=token, full_name="Nia Guard", password=PASSWORD)
    assert user.check_password(PASSWORD)
    assert user.membership.role == Role.GUARD
    assert user.membership.organization == world.provider_a
    assert list(SiteAssignment.objects.filter(user=user).values_list("site", flat=True)) == [world.a2.pk]
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None


def test_an_invitation_works_once(world):
    _, token = invite(world)
    services.accept_invitation(token=token, full_name="Nia", password=PASSWORD)
    with pytest.raises(ValidationError, match="no longer valid"):
        services.accept_invitation(token=token, full_name="Eve", password=PASSWORD)
    assert User.objects.filter(email="new.guard@example.test").count() == 1


def test_a_weak_password_is_refused_and_nothing_is_created(world):
    _, token = invite(world)
    with pytest.raises(ValidationError) as caught:
        services.accept_invitation(token=token, full_name="Nia", password="password")
    assert "password" in caught.value.error_dict
    assert not User.objects.filter(email="new.guard@example.test").exists()
    assert selectors.get_pending_invitation(token=token) is not None


def test_revoked_and_expired_invitations_do_not_open(world):
    invitation, token = invite(world)
    services.revoke_invitation(invitation=invitation, by=world.admin_a)
    assert selectors.get_pending_invitation(token=token) is None
    invitation2, token2 = invite(world, email="other@example.test")
    Invitation.objects.filter(pk=invitation2.pk).update(expires_at="2000-01-01T00:00Z")
    with pytest.raises(ValidationError):
        services.accept_invitation(token=token2, full_name="X", password=PASSWORD)


def test_reinviting_revokes_the_earlier_invitation(world):
    _, first = invite(world)
    _, second = invite(world)
    assert selectors.get_pending_invitation(token=first) is None
    assert selectors.get_pending_invitation(token=second) is not None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"role": Role.LIAISON, "sites": []}, "role"),
        ({"sites": ["b1"]}, "sites"),
        ({"role": Role.SUPERVISOR}, "sites"),
        ({"email": "{existing}"}, "email"),
    ],
)
def test_bad_invitations_are_refused_with_the_field_at_fault(world, overrides, field):
    if overrides.get("sites") == ["b1"]:
        overrides["sites"] = [world.b1]
    if overrides.get("email") == "{existing}":
        overrides["email"] = world.guard_b.email.upper()
    with pytest.raises(ValidationError) as caught:
        invite(world, **overrides)
    assert field in caught.value.error_dict
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("who", ["supervisor_a", "guard_a", "admin_b", "liaison_x", "admin_x"])
def test_only_the_organizations_admins_invite(world, who):
    with pytest.raises(PermissionDenied):
        invite(world, invited_by=getattr(world, who))


def test_changing_a_role_and_sites(world):
    membership = world.guard_a.membership
    services.change_member(membership=membership, by=world.admin_a, role=Role.GUARD, sites=[world.a2])
    assert list(world.guard_a.site_assignments.values_list("site", flat=True)) == [world.a2.pk]
    services.change_member(membership=membership, by=world.admin_a, role=Role.SUPERVISOR)
    assert Membership.objects.get(user=world.guard_a).role == Role.SUPERVISOR
    assert not world.guard_a.site_assignments.exists()


def test_role_changes_are_refused_across_tenants_and_kinds(world):
    with pytest.raises(PermissionDenied):
        services.change_member(membership=world.guard_b.membership, by=world.admin_a, role=Role.SUPERVISOR)
    with pytest.raises(PermissionDenied):
        services.change_member(membership=world.guard_a.membership, by=world.admin_a, role=Role.LIAISON)
    with pytest.raises(ValidationError):
        services.change_member(membership=world.admin_a.membership, by=world.admin_a, role=Role.GUARD)
    assert world.guard_b.membership.role == Role.GUARD


def test_deactivation_and_reactivation(world):
    services.set_member_active(membership=world.guard_a.membership, by=world.admin_a, active=False)
    world.guard_a.refresh_from_db()
    assert not world.guard_a.is_active
    services.set_member_active(membership=world.guard_a.membership, by=world.admin_a, active=True)
    world.guard_a.refresh_from_db()
    assert world.guard_a.is_active
    with pytest.raises(ValidationError):
        services.set_member_active(membership=world.admin_a.membership, by=world.admin_a, active=False)
    with pytest.raises(PermissionDenied):
        services.set_member_active(membership=world.guard_b.membership, by=world.admin_a, active=False)
