"""Who may see and change plans, drills, briefings and community events.

Over the tenancy core (accounts/policy.py): a provider's people see their own sites' plans and
drills, an agency's people those of the sites in its jurisdiction; briefings and community events
belong to a provider and an agency together, and both sides' staff run them.
"""

from django.db.models import Q, QuerySet

from accounts import policy as account_policy
from accounts.models import Membership, Organization, Role, Site, User
from accounts.policy import AnyUser
from incidents import policy as incident_policy
from preparedness.models import Briefing, CommunityEvent, Drill, Plan, PlanVersion

PROVIDER_STAFF = (Role.SUPERVISOR, Role.ORG_ADMIN)
AGENCY_STAFF = (Role.LIAISON, Role.ORG_ADMIN)


def _is_staff_of(user: AnyUser, organization_id: int | None) -> bool:
    membership = account_policy.membership_of(user)
    if membership is None or membership.organization_id != organization_id:
        return False
    staff = AGENCY_STAFF if membership.organization.is_agency else PROVIDER_STAFF
    return membership.role in staff


# --- Plans (post orders, emergency response plans) ----------------------------------------------


def visible_plans(user: AnyUser) -> QuerySet[Plan]:
    """Plans of the sites the user may see (a guard's assigned sites; a provider's; an agency's
    jurisdiction), for ERPs only once they were sent to the agency. An agency's people also see the
    ERPs of a site outside its jurisdiction where an incident it works happened (mutual aid: the
    incident page offers them "to everyone working the incident")."""
    plans = Plan.objects.filter(site__in=account_policy.visible_sites(user))
    membership = account_policy.membership_of(user)
    if membership is not None and membership.organization.is_agency:
        worked = incident_policy.visible_incidents(user).values("site_id")
        return Plan.objects.filter(
            Q(site__in=account_policy.visible_sites(user)) | Q(site_id__in=worked), kind=Plan.Kind.ERP
        )
    return plans


def can_write_plan(user: AnyUser, site: Site) -> bool:
    """The site's provider writes its post orders and plans: supervisors and org admins."""
    return account_policy.is_member_with_role(user, site.provider_id, *PROVIDER_STAFF)


def can_see_version(user: AnyUser, version: PlanVersion) -> bool:
    """The agency sees an ERP's versions once sent for review; drafts stay with the provider."""
    if can_write_plan(user, version.plan.site):
        return True
    if version.status == PlanVersion.Status.DRAFT:
        return False
    return visible_plans(user).filter(pk=version.plan_id).exists()


def can_review_plan(user: AnyUser, plan: Plan) -> bool:
    """The partnering agency's liaisons (and its admins) comment on and approve a site's ERPs."""
    return plan.is_erp and account_policy.is_member_with_role(user, plan.site.agency_id, *AGENCY_STAFF)


def can_acknowledge(user: AnyUser, version: PlanVersion) -> bool:
    """A guard assigned to the site acknowledges the version in force."""
    membership = account_policy.membership_of(user)
    return (
        membership is not None
        and membership.role == Role.GUARD
        and version.is_frozen
        and account_policy.visible_sites(user).filter(pk=version.plan.site_id).exists()
    )


# --- Drills ----------------------------------------------------------------------------------------


def visible_drills(user: AnyUser) -> QuerySet[Drill]:
    """Drills of the sites the user sees, and those the user takes part in."""
    if not user.is_authenticated:
        return Drill.objects.none()
    return Drill.objects.filter(
        Q(site__in=account_policy.visible_sites(user)) | Q(participants=user.pk)
    ).distinct()


def can_schedule_drill(user: AnyUser, site: Site) -> bool:
    """The site's provider's supervisors and the partnering agency's liaisons schedule drills."""
    return account_policy.is_member_with_role(
        user, site.provider_id, *PROVIDER_STAFF
    ) or account_policy.is_member_with_role(user, site.agency_id, *AGENCY_STAFF)


def drill_people_for_site(site: Site) -> QuerySet[User]:
    """Who may take part in a drill at the site: its provider's and agency's active members."""
    orgs = [org for org in (site.provider_id, site.agency_id) if org]
    return User.objects.filter(is_active=True, membership__organization_id__in=orgs)


# --- Briefings --------------------------------------------------------------------------------------


def visible_briefings(user: AnyUser) -> QuerySet[Briefing]:
    """A briefing's attendees and both organizations' staff see it."""
    membership = account_policy.membership_of(user)
    if membership is None:
        return Briefing.objects.none()
    mine = Q(attendees__user_id=membership.user_id)
    org = membership.organization_id
    if membership.role in (*PROVIDER_STAFF, *AGENCY_STAFF):
        mine |= Q(provider_id=org) | Q(agency_id=org)
    return Briefing.objects.filter(mine).distinct()


def can_run_briefing(user: AnyUser, briefing: Briefing) -> bool:
    """Both organizations' staff schedule, edit, minute and decide."""
    return _is_staff_of(user, briefing.provider_id) or _is_staff_of(user, briefing.agency_id)


def briefing_partners(user: AnyUser) -> tuple[QuerySet[Organization], QuerySet[Organization]]:
    """(providers, agencies) a briefing or a community event may join the user's organization with:
    the partnerships of the user's organization, for its staff."""
    membership = account_policy.membership_of(user)
    none = Organization.objects.none()
    if membership is None or not _is_staff_of(user, membership.organization_id):
        return none, none
    org = membership.organization
    if org.is_agency:
        providers = Organization.objects.filter(
            agency_partnerships__agency=org, agency_partnerships__is_active=True
        )
        return providers, Organization.objects.filter(pk=org.pk)
    agencies = Organization.objects.filter(
        provider_partnerships__provider=org, provider_partnerships__is_active=True
    )
    return Organization.objects.filter(pk=org.pk), agencies


def briefing_people(briefing: Briefing | CommunityEvent) -> QuerySet[User]:
    """People of either organization: attendees, action owners, hosts."""
    return User.objects.filter(
        is_active=True, membership__organization_id__in=[briefing.provider_id, briefing.agency_id]
    )


def can_answer_invitation(user: AnyUser, briefing: Briefing) -> bool:
    return user.is_authenticated and briefing.attendees.filter(user_id=user.pk).exists()


# --- Community events ------------------------------------------------------------------------------


def visible_community_events(user: AnyUser) -> QuerySet[CommunityEvent]:
    """The organizers' view (registrations, attendance): both organizations' staff, and the hosts."""
    membership = account_policy.membership_of(user)
    if membership is None:
        return CommunityEvent.objects.none()
    mine = Q(hosts=membership.user_id)
    if membership.role in (*PROVIDER_STAFF, *AGENCY_STAFF):
        mine |= Q(provider_id=membership.organization_id) | Q(agency_id=membership.organization_id)
    return CommunityEvent.objects.filter(mine).distinct()


def can_run_community_event(user: AnyUser, event: CommunityEvent) -> bool:
    return (
        _is_staff_of(user, event.provider_id)
        or _is_staff_of(user, event.agency_id)
        or event.hosts.filter(pk=getattr(user, "pk", None)).exists()
    )


def can_plan_together(user: AnyUser) -> bool:
    """Staff of an organization with a partner: they schedule briefings and community events."""
    providers, agencies = briefing_partners(user)
    return providers.exists() and agencies.exists()


def is_guard(user: AnyUser) -> bool:
    membership: Membership | None = account_policy.membership_of(user)
    return membership is not None and membership.role == Role.GUARD
