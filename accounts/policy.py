"""The access policy: the one place that answers who may see or do what.

Selectors, services, views, the API, consumers, tasks and exports all ask here; none of them
decides access on its own. "See" questions return querysets; "do" questions return booleans.
"""

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from accounts.models import (
    ROLES_BY_KIND,
    Membership,
    Organization,
    Role,
    Site,
    User,
)

AnyUser = User | AnonymousUser


def membership_of(user: AnyUser) -> Membership | None:
    """The active user's membership, or None (anonymous, inactive, or in no organization)."""
    if not user.is_authenticated or not user.is_active:
        return None
    assert isinstance(user, User)
    try:
        return user.membership
    except Membership.DoesNotExist:
        return None


def role_of(user: AnyUser) -> Role | None:
    membership = membership_of(user)
    return Role(membership.role) if membership else None


def has_role(user: AnyUser, *roles: Role) -> bool:
    return role_of(user) in roles


def is_platform_admin(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_staff)


def organization_of(user: AnyUser) -> Organization | None:
    membership = membership_of(user)
    return membership.organization if membership else None


def visible_sites(user: AnyUser) -> QuerySet[Site]:
    """Sites the user may see: a guard's assigned sites, a provider's sites, an agency's jurisdiction."""
    sites = Site.objects.all()
    if is_platform_admin(user):
        return sites
    membership = membership_of(user)
    if membership is None:
        return sites.none()
    organization = membership.organization
    if organization.is_agency:
        return sites.filter(agency=organization)
    if membership.role == Role.GUARD:
        return sites.filter(provider=organization, assignments__user_id=membership.user_id, is_active=True)
    return sites.filter(provider=organization)


def can_manage_members(user: AnyUser, organization: Organization) -> bool:
    """Org admins manage their own organization's people; platform admins manage everyone's."""
    if is_platform_admin(user):
        return True
    membership = membership_of(user)
    return (
        membership is not None
        and membership.role == Role.ORG_ADMIN
        and membership.organization_id == organization.pk
    )


def can_grant_role(user: AnyUser, organization: Organization, role: str) -> bool:
    return can_manage_members(user, organization) and role in ROLES_BY_KIND[organization.kind]


def managed_memberships(user: AnyUser) -> QuerySet[Membership]:
    """Memberships whose role, sites and access the user may change."""
    memberships = Membership.objects.all()
    if is_platform_admin(user):
        return memberships
    membership = membership_of(user)
    if membership is None or membership.role != Role.ORG_ADMIN:
        return memberships.none()
    return memberships.filter(organization_id=membership.organization_id)


def assignable_sites(user: AnyUser, organization: Organization) -> QuerySet[Site]:
    """Sites an org admin may assign its guards to: its own provider's active sites."""
    if not can_manage_members(user, organization) or not organization.is_provider:
        return Site.objects.none()
    return Site.objects.filter(provider=organization, is_active=True)
