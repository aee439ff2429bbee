"""Who may see and change incidents, their evidence and the personal data in them.

Over the tenancy core (accounts/policy.py). An agency sees what was shared with it
(``IncidentShare``), so these rules need no model of the apps above incidents.
"""

from django.db.models import Q, QuerySet

from accounts import policy as account_policy
from accounts.models import Role, Site, SiteAssignment
from accounts.policy import AnyUser
from incidents.models import Evidence, Incident, IncidentShare

PROVIDER_STAFF = (Role.SUPERVISOR, Role.ORG_ADMIN)
REPORTER_EDITABLE = (Incident.Status.DRAFT, Incident.Status.NEEDS_INFO)


def visible_incidents(user: AnyUser) -> QuerySet[Incident]:
    """Incidents the user may see.

    A guard: their own reports and the submitted reports of their sites. A provider's supervisors
    and admins: every submitted report of the provider's sites, and their own drafts. Nobody sees
    another person's draft. An agency: only what was shared with it.
    """
    incidents = Incident.objects.all()
    if account_policy.is_platform_admin(user):
        return incidents.exclude(status=Incident.Status.DRAFT)
    membership = account_policy.membership_of(user)
    if membership is None:
        return incidents.none()
    if membership.organization.is_agency:
        # Only while the share is in force: a rejected or cancelled escalation, or the provider,
        # ended it (README, "Who sees what").
        shared = IncidentShare.objects.filter(IncidentShare.in_force(), agency_id=membership.organization_id)
        return incidents.filter(pk__in=shared.values("incident_id"))
    # Tenant first: the incident's own provider_id (indexed with the lists' order), no join
    # through sites.
    tenant = incidents.filter(provider_id=account_policy.provider_id_of(user))
    not_draft = ~Q(status=Incident.Status.DRAFT)
    own = Q(reporter_id=membership.user_id)
    if membership.role == Role.GUARD:
        sites = SiteAssignment.objects.filter(user_id=membership.user_id, site__is_active=True)
        return tenant.filter(own | (not_draft & Q(site_id__in=sites.values("site_id"))))
    return tenant.filter(own | not_draft)


def can_view_incident(user: AnyUser, incident: Incident) -> bool:
    return visible_incidents(user).filter(pk=incident.pk).exists()


def reportable_sites(user: AnyUser) -> QuerySet[Site]:
    """Sites the user may file a report for: a guard's assigned sites, a supervisor's provider's."""
    if account_policy.role_of(user) not in (Role.GUARD, Role.SUPERVISOR):
        return Site.objects.none()
    return account_policy.visible_sites(user).filter(is_active=True)


def is_provider_staff_of(user: AnyUser, incident: Incident) -> bool:
    return account_policy.is_member_with_role(user, incident.provider_id, *PROVIDER_STAFF)


def can_edit_incident(user: AnyUser, incident: Incident) -> bool:
    """The reporter edits a draft or a report sent back for more information; supervisors, any open one."""
    if incident.status == Incident.Status.CLOSED:
        return False
    if incident.reporter_id == user.pk and incident.status in REPORTER_EDITABLE:
        return account_policy.membership_of(user) is not None
    return incident.status != Incident.Status.DRAFT and is_provider_staff_of(user, incident)


def can_move_incident(user: AnyUser, incident: Incident) -> bool:
    """Who may say the report happened at another of their sites: whoever may edit it, and the
    guard who pressed a panic (sent from the wrong site), while it is open."""
    if incident.status == Incident.Status.CLOSED:
        return False
    if can_edit_incident(user, incident):
        return True
    is_panic = incident.category is not None and incident.category.code == "panic"
    return is_panic and incident.reporter_id == user.pk and account_policy.membership_of(user) is not None


def can_submit_incident(user: AnyUser, incident: Incident) -> bool:
    return (
        incident.reporter_id == user.pk
        and incident.status in REPORTER_EDITABLE
        and account_policy.membership_of(user) is not None
    )


def can_see_triage_queue(user: AnyUser) -> bool:
    """Supervisors work the triage queue of their provider's submitted reports."""
    return account_policy.role_of(user) == Role.SUPERVISOR


def can_triage_incident(user: AnyUser, incident: Incident) -> bool:
    """Supervisors triage their provider's submitted reports."""
    return account_policy.is_member_with_role(user, incident.provider_id, Role.SUPERVISOR)


def can_contribute_to_incident(user: AnyUser, incident: Incident) -> bool:
    """Add notes, parties, vehicles and evidence: anyone on the provider's side who sees it, until closed."""
    if incident.status == Incident.Status.CLOSED:
        return False
    membership = account_policy.membership_of(user)
    if membership is None or membership.organization.is_agency:
        return False
    return can_view_incident(user, incident)


def sees_evidence_hashes(user: AnyUser) -> bool:
    """Evidence fingerprints (SHA-256) are for those who check custody: supervisors, admins and
    liaisons see them in the open; a guard's own views keep them folded, out of the way."""
    return account_policy.role_of(user) != Role.GUARD


def visible_evidence(user: AnyUser) -> QuerySet[Evidence]:
    """Evidence of visible incidents; an agency never sees an internal item (not even by its id)."""
    items = Evidence.objects.filter(incident__in=visible_incidents(user))
    membership = account_policy.membership_of(user)
    if membership is not None and membership.organization.is_agency:
        return items.filter(internal=False)
    return items


def can_release_personal_data(user: AnyUser, incident: Incident) -> bool:
    """Release a party's redacted fields to an agency, or end a share: the provider's supervisors."""
    return can_triage_incident(user, incident)


def can_place_legal_hold(user: AnyUser, incident: Incident) -> bool:
    """Place or lift a legal hold: the provider's supervisors and org admins."""
    return is_provider_staff_of(user, incident)


def can_see_legal_hold(user: AnyUser, incident: Incident) -> bool:
    """Whether the incident is on legal hold is the provider's matter: its people and platform admins."""
    membership = account_policy.membership_of(user)
    if membership is None:
        return bool(getattr(user, "is_staff", False)) and can_view_incident(user, incident)
    return membership.organization_id == incident.provider_id


def can_redact_evidence(user: AnyUser, evidence: Evidence) -> bool:
    """Draw the areas of a photo the agency must not see: the provider's supervisors and admins."""
    return is_provider_staff_of(user, evidence.incident)


def can_view_personal_data(user: AnyUser, incident: Incident) -> bool:
    """Names and contacts of involved parties: whoever may see the incident through their
    organization (the provider's side, and the agencies it was shared with)."""
    return account_policy.membership_of(user) is not None and can_view_incident(user, incident)


def needs_purpose(user: AnyUser, incident: Incident) -> bool:
    """An agency's people state a purpose before an incident's personal data or evidence files are
    shown to them (once per incident per session; README, "Who sees what"); the provider's side does
    not."""
    membership = account_policy.membership_of(user)
    return membership is not None and membership.organization.is_agency
