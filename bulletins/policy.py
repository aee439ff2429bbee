"""Who may publish, see, read-receipt and answer police bulletins.

Over the tenancy core (accounts/policy.py): an agency publishes only to the sites of providers it
has an active partnership with; a provider's people see only the bulletins that reached their own
sites (a guard: their assigned sites); nobody sees another agency's bulletins.
"""

from django.db.models import QuerySet

from accounts import policy as account_policy
from accounts.models import Organization, Partnership, Role, Site
from accounts.policy import AnyUser
from bulletins.models import Bulletin


def publishing_agency(user: AnyUser) -> Organization | None:
    """The agency a liaison publishes bulletins for."""
    membership = account_policy.membership_of(user)
    if membership is None or membership.role != Role.LIAISON or not membership.organization.is_agency:
        return None
    return membership.organization


def can_publish(user: AnyUser) -> bool:
    return publishing_agency(user) is not None


def can_manage_bulletin(user: AnyUser, bulletin: Bulletin) -> bool:
    """Update or cancel: the publishing agency's liaisons, on the current version."""
    agency = publishing_agency(user)
    return agency is not None and bulletin.agency_id == agency.pk and bulletin.is_current


def partnered_sites(agency: Organization) -> QuerySet[Site]:
    """The active sites of every provider with an active partnership with the agency."""
    providers = Partnership.objects.filter(agency=agency, is_active=True).values("provider_id")
    return Site.objects.filter(provider_id__in=providers, is_active=True)


def partnered_providers(agency: Organization) -> QuerySet[Organization]:
    providers = Partnership.objects.filter(agency=agency, is_active=True).values("provider_id")
    return Organization.objects.filter(pk__in=providers)


def bulletin_sites(user: AnyUser) -> QuerySet[Site]:
    """The sites whose bulletins the user receives: a guard's assigned sites, a supervisor's
    provider's sites. Org admins and agency people receive none (they are not on site)."""
    if account_policy.role_of(user) not in (Role.GUARD, Role.SUPERVISOR):
        return Site.objects.none()
    return account_policy.visible_sites(user).filter(is_active=True)


def visible_bulletins(user: AnyUser) -> QuerySet[Bulletin]:
    """Every version the user may see: the agency's own (its people), those that reached the
    user's sites (the provider's guards and supervisors), all (platform admins)."""
    bulletins = Bulletin.objects.all()
    if account_policy.is_platform_admin(user):
        return bulletins
    membership = account_policy.membership_of(user)
    if membership is None:
        return bulletins.none()
    if membership.organization.is_agency:
        return bulletins.filter(agency_id=membership.organization_id)
    return bulletins.filter(sites__in=bulletin_sites(user)).distinct()


def can_answer(user: AnyUser, bulletin: Bulletin) -> bool:
    """Mark read or report a sighting: a guard or supervisor the live bulletin reached."""
    return bulletin.is_live and bulletin.sites.filter(pk__in=bulletin_sites(user)).exists()


def answers_agency_id(user: AnyUser) -> int | None:
    """The agency whose bulletins' answers (receipts, sightings) the user hears live: their own, as
    one of its people (the same people who see the receipts)."""
    membership = account_policy.membership_of(user)
    if membership is None or not membership.organization.is_agency:
        return None
    return membership.organization_id


def can_see_receipts(user: AnyUser, bulletin: Bulletin) -> bool:
    """Who of which site read it: the publishing agency's people, platform admins."""
    if account_policy.is_platform_admin(user):
        return True
    membership = account_policy.membership_of(user)
    return membership is not None and membership.organization_id == bulletin.agency_id


def can_open_bulletins(user: AnyUser) -> bool:
    """The bulletin pages: guards and supervisors (their sites'), an agency's people (its own),
    platform admins (all). A provider's org admin is not on site and has none."""
    if account_policy.is_platform_admin(user):
        return True
    membership = account_policy.membership_of(user)
    if membership is None:
        return False
    return membership.organization.is_agency or membership.role in (Role.GUARD, Role.SUPERVISOR)
