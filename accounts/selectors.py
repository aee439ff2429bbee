import hashlib
import zoneinfo

from django.db.models import Prefetch, QuerySet

from accounts import policy
from accounts.models import ApiToken, Invitation, Membership, Site, SiteAssignment
from accounts.policy import AnyUser
from portal import zones


def list_sites(*, for_user: AnyUser) -> QuerySet[Site]:
    """Sites the user may see, with their provider and agency."""
    return policy.visible_sites(for_user).select_related("provider", "agency").distinct()


def list_members(*, for_user: AnyUser) -> QuerySet[Membership]:
    """Memberships the user manages, with their users and site assignments."""
    assignments = SiteAssignment.objects.select_related("site").order_by("site__name")
    return (
        policy.managed_memberships(for_user)
        .select_related("user", "organization")
        .prefetch_related(Prefetch("user__site_assignments", queryset=assignments))
        .order_by("-user__is_active", "user__email")
    )


def get_member(*, membership_id: int, for_user: AnyUser) -> Membership:
    """One membership the user manages, or Membership.DoesNotExist."""
    return list_members(for_user=for_user).get(pk=membership_id)


def list_pending_invitations(*, for_user: AnyUser) -> QuerySet[Invitation]:
    organizations = policy.managed_memberships(for_user).values("organization_id")
    invitations = Invitation.objects.filter(accepted_at=None, revoked_at=None)
    if not policy.is_platform_admin(for_user):
        invitations = invitations.filter(organization_id__in=organizations)
    return invitations.select_related("organization", "invited_by").prefetch_related("sites")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def get_pending_invitation(*, token: str) -> Invitation | None:
    """The pending invitation a link's token opens, or None when unknown, used, revoked or expired."""
    invitation = (
        Invitation.objects.select_related("organization").filter(token_hash=hash_token(token)).first()
    )
    return invitation if invitation and invitation.is_pending else None


def list_api_tokens(*, for_user: AnyUser) -> QuerySet[ApiToken]:
    """API tokens the user manages, active first, with their owners and issuers."""
    return (
        policy.managed_api_tokens(for_user)
        .select_related("user", "created_by", "revoked_by")
        .order_by("revoked_at", "-created_at", "-pk")
    )


def get_unrevoked_api_token(*, secret: str) -> ApiToken | None:
    """The unrevoked token whose secret this is (perhaps expired), with its user, or None."""
    return (
        ApiToken.objects.select_related("user", "user__membership__organization")
        .filter(token_hash=hash_token(secret), revoked_at=None)
        .first()
    )


def list_api_token_owners(*, for_user: AnyUser) -> QuerySet[Membership]:
    """The active members the user may issue API tokens for, with their users."""
    return policy.api_token_owners(for_user).select_related("user").order_by("user__email")


def get_time_zone(*, for_user: AnyUser) -> zoneinfo.ZoneInfo:
    """The zone of the person's own views: their choice, else their organization's, else the portal's."""
    chosen = getattr(for_user, "time_zone", "") if for_user.is_authenticated else ""
    if chosen:
        return zones.zone(chosen)
    membership = policy.membership_of(for_user)
    return zones.zone(membership.organization.time_zone if membership else None)
