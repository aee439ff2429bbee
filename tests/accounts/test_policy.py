import pytest
from django.contrib.auth.models import AnonymousUser

from accounts import policy
from accounts.models import Role


def names(queryset) -> set[str]:
    return set(queryset.values_list("name", flat=True))


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("guard_a", {"A1"}),
        ("supervisor_a", {"A1", "A2"}),
        ("admin_a", {"A1", "A2"}),
        ("guard_b", {"B1"}),
        ("supervisor_b", {"B1"}),
        ("liaison_x", {"A1"}),
        ("admin_x", {"A1"}),
        ("liaison_y", {"A2", "B1"}),
        ("platform", {"A1", "A2", "B1"}),
        ("nobody", set()),
    ],
)
def test_visible_sites_per_role_and_tenant(world, who, expected):
    assert names(policy.visible_sites(getattr(world, who))) == expected


def test_a_guard_of_provider_a_cannot_see_provider_b_site(world):
    assert not policy.visible_sites(world.guard_a).filter(pk=world.b1.pk).exists()


def test_a_liaison_of_agency_x_sees_nothing_of_agency_y(world):
    visible = policy.visible_sites(world.liaison_x)
    assert not visible.filter(agency=world.agency_y).exists()


def test_anonymous_and_deactivated_users_see_nothing(world):
    assert not policy.visible_sites(AnonymousUser()).exists()
    world.supervisor_a.is_active = False
    world.supervisor_a.save()
    assert not policy.visible_sites(world.supervisor_a).exists()
    assert policy.role_of(world.supervisor_a) is None


def test_a_guard_loses_a_deactivated_site(world):
    world.a1.is_active = False
    world.a1.save()
    assert not policy.visible_sites(world.guard_a).exists()


@pytest.mark.parametrize(
    ("who", "org", "allowed"),
    [
        ("admin_a", "provider_a", True),
        ("admin_a", "provider_b", False),
        ("admin_x", "agency_x", True),
        ("admin_x", "agency_y", False),
        ("supervisor_a", "provider_a", False),
        ("guard_a", "provider_a", False),
        ("liaison_x", "agency_x", False),
        ("platform", "provider_b", True),
        ("nobody", "provider_a", False),
    ],
)
def test_who_manages_members(world, who, org, allowed):
    assert policy.can_manage_members(getattr(world, who), getattr(world, org)) is allowed


def test_roles_granted_must_fit_the_organization_kind(world):
    assert policy.can_grant_role(world.admin_a, world.provider_a, Role.GUARD)
    assert not policy.can_grant_role(world.admin_a, world.provider_a, Role.LIAISON)
    assert policy.can_grant_role(world.admin_x, world.agency_x, Role.LIAISON)
    assert not policy.can_grant_role(world.admin_x, world.agency_x, Role.SUPERVISOR)


def test_managed_memberships_stay_in_the_admins_organization(world):
    managed = policy.managed_memberships(world.admin_a)
    assert {m.organization_id for m in managed} == {world.provider_a.pk}
    assert not policy.managed_memberships(world.supervisor_a).exists()
    assert policy.managed_memberships(world.platform).count() == 9


def test_assignable_sites_are_the_providers_own(world):
    assert names(policy.assignable_sites(world.admin_a, world.provider_a)) == {"A1", "A2"}
    assert not policy.assignable_sites(world.admin_a, world.provider_b).exists()
    assert not policy.assignable_sites(world.admin_x, world.agency_x).exists()


def test_member_with_role_needs_the_organization_the_role_and_an_active_account(world):
    provider = world.provider_a.pk
    assert policy.is_member_with_role(world.supervisor_a, provider, Role.SUPERVISOR, Role.ORG_ADMIN)
    assert not policy.is_member_with_role(world.supervisor_a, world.provider_b.pk, Role.SUPERVISOR)
    assert not policy.is_member_with_role(world.supervisor_a, world.provider_a.pk, Role.ORG_ADMIN)
    assert not policy.is_member_with_role(world.platform, world.provider_a.pk, Role.ORG_ADMIN)
    world.supervisor_a.is_active = False
    world.supervisor_a.save()
    assert not policy.is_member_with_role(world.supervisor_a, world.provider_a.pk, Role.SUPERVISOR)
