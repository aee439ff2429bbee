"""The tenancy core of the access rules: membership, role, organization, sites and people.

Each app's own ``policy.py`` answers who may see or do what with its models, over these functions;
selectors, services, views, the API, consumers and tasks ask the policy of the app that owns the
rule and none of them decides access on its own. "See" questions return querysets; "do" questions
return booleans.

What each role should get from each endpoint (URL, API route, websocket) is declared in
tests/access.py and checked by the authorization matrix (tests/test_access_matrix.py): a new
endpoint needs a line there.
"""

from typing import TypeVar

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import Model, Q, QuerySet

from accounts.models import (
    ROLES_BY_KIND,
    ApiToken,
    Membership,
    Organization,
    Role,
    Site,
    User,
)

AnyUser = User | AnonymousUser
_Row = TypeVar("_Row", bound=Model)


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


def is_member_with_role(user: AnyUser, organization_id: int | None, *roles: Role) -> bool:
    """An active member of the organization, with one of the roles."""
    membership = membership_of(user)
    return (
        membership is not None and membership.role in roles and membership.organization_id == organization_id
    )


def is_platform_admin(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_staff)


def organization_of(user: AnyUser) -> Organization | None:
    membership = membership_of(user)
    return membership.organization if membership else None


def provider_id_of(user: AnyUser) -> int | None:
    """The provider whose rows the user's organization owns (every tenant row carries its
    ``provider_id``, so the access rules filter on it directly), or None for agencies and outsiders."""
    membership = membership_of(user)
    if membership is None or not membership.organization.is_provider:
        return None
    return membership.organization_id


def in_administered_organization(user: AnyUser, rows: QuerySet[_Row]) -> QuerySet[_Row]:
    """Those of ``rows`` (with an ``organization``) the user administers: an org admin's own
    organization's, every one for platform admins, none for anyone else."""
    if is_platform_admin(user):
        return rows
    membership = membership_of(user)
    if membership is None or membership.role != Role.ORG_ADMIN:
        return rows.none()
    return rows.filter(organization_id=membership.organization_id)


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


# --- People and invitations -------------------------------------------------------------------


def can_manage_members(user: AnyUser, organization: Organization) -> bool:
    """Org admins manage their own organization's people; platform admins manage everyone's."""
    return is_platform_admin(user) or is_member_with_role(user, organization.pk, Role.ORG_ADMIN)


def can_choose_debrief_rule(user: AnyUser, organization: Organization) -> bool:
    """A provider's own org admins choose who may be a debrief's second pair of eyes (platform
    admins set it in the Django admin; agencies have no debriefs to approve)."""
    return organization.is_provider and is_member_with_role(user, organization.pk, Role.ORG_ADMIN)


def can_set_retention(user: AnyUser, organization: Organization) -> bool:
    """An organization's own org admins choose how long its records are kept (platform admins in the
    Django admin)."""
    return is_member_with_role(user, organization.pk, Role.ORG_ADMIN)


def can_grant_role(user: AnyUser, organization: Organization, role: str) -> bool:
    return can_manage_members(user, organization) and role in ROLES_BY_KIND[organization.kind]


def managed_memberships(user: AnyUser) -> QuerySet[Membership]:
    """Memberships whose role, sites and access the user may change."""
    return in_administered_organization(user, Membership.objects.all())


def assignable_sites(user: AnyUser, organization: Organization) -> QuerySet[Site]:
    """Sites an org admin may assign its guards to: its own provider's active sites."""
    if not can_manage_members(user, organization) or not organization.is_provider:
        return Site.objects.none()
    return Site.objects.filter(provider=organization, is_active=True)


# --- API tokens ------------------------------------------------------------------------------


def can_manage_api_tokens(user: AnyUser, owner: User) -> bool:
    """Org admins list and revoke their organization's members' API tokens; platform admins,
    anyone's; members, their own. Who may issue one: can_issue_api_token."""
    if is_platform_admin(user) or (membership_of(user) is not None and user.pk == owner.pk):
        return True
    return managed_memberships(user).filter(user_id=owner.pk).exists()


def managed_api_tokens(user: AnyUser) -> QuerySet[ApiToken]:
    """API tokens the user may list and revoke."""
    tokens = ApiToken.objects.all()
    if is_platform_admin(user):
        return tokens
    if membership_of(user) is None:
        return tokens.none()
    return tokens.filter(Q(user__membership__in=managed_memberships(user)) | Q(user_id=user.pk))


# --- Authentication rules ---------------------------------------------------------------------


def requires_mfa(user: AnyUser) -> bool:
    """Liaisons and every admin (an organization's or the platform's) must use a second factor."""
    return is_platform_admin(user) or role_of(user) in (Role.LIAISON, Role.ORG_ADMIN)


def mfa_satisfied(user: AnyUser) -> bool:
    """False while a user who must use MFA has not set it up: no page or socket until they do."""
    return not requires_mfa(user) or is_mfa_enabled(user)


def idle_timeout_seconds(user: AnyUser) -> int:
    """How long a session may sit unused: shorter for liaisons and admins."""
    if requires_mfa(user):
        return int(settings.IDLE_TIMEOUT_PRIVILEGED)
    return int(settings.IDLE_TIMEOUT)


# --- API tokens: whose token may be issued by whom --------------------------------------------


def can_issue_api_token(user: AnyUser, owner: User) -> bool:
    """A token acts as one organization member. One acting as someone who must use a second factor
    (a liaison, an admin) is issued by that person alone, signed in with it, so nobody borrows their
    access without them; anyone else's by their org admin (or a platform admin)."""
    if requires_mfa(owner):
        return user.pk == owner.pk and membership_of(owner) is not None and mfa_satisfied(user)
    if is_platform_admin(user):
        return Membership.objects.filter(user_id=owner.pk).exists()
    return managed_memberships(user).filter(user_id=owner.pk).exists()


def can_open_api_token_pages(user: AnyUser) -> bool:
    """Those who must use a second factor keep tokens: org admins their organization's, liaisons their own."""
    return membership_of(user) is not None and requires_mfa(user)


def api_token_owners(user: AnyUser) -> QuerySet[Membership]:
    """The members the user may issue tokens for (can_issue_api_token, as a queryset): an org
    admin's guards and supervisors, and oneself for those who must use a second factor."""
    membership = membership_of(user)
    if membership is None:
        return Membership.objects.none()
    others = (
        managed_memberships(user)
        .exclude(role__in=[Role.LIAISON, Role.ORG_ADMIN])
        .exclude(user__is_staff=True)
        .filter(user__is_active=True)
    )
    if not requires_mfa(user) or not mfa_satisfied(user):
        return others
    return others | Membership.objects.filter(pk=membership.pk)
