"""Who may see, write, review and approve debriefs, and track their corrective actions.

Over the tenancy core (accounts/policy.py) and the rules of incidents and dispatch.
"""

from django.db.models import Q, QuerySet

from accounts import policy as account_policy
from accounts.models import Organization, Role, User
from accounts.policy import AnyUser
from debriefs.models import CorrectiveAction, Debrief
from dispatch import policy as dispatch_policy
from dispatch.models import Escalation
from incidents import policy as incident_policy
from incidents.models import Incident


def can_open_debriefs(user: AnyUser) -> bool:
    """Debriefs belong to an organization: its members open the review queue and the library."""
    return account_policy.organization_of(user) is not None


def _admins_review(organization: Organization) -> bool:
    return organization.debrief_reviewers == Organization.DebriefReviewers.SUPERVISOR_OR_ADMIN


def can_see_review_queue(user: AnyUser) -> bool:
    """Supervisors review submitted debriefs, and org admins where their organization says so."""
    membership = account_policy.membership_of(user)
    if membership is None:
        return False
    if membership.role == Role.ORG_ADMIN:
        return membership.organization.is_provider and _admins_review(membership.organization)
    return membership.role == Role.SUPERVISOR


def visible_debriefs(user: AnyUser) -> QuerySet[Debrief]:
    """Debriefs of the incidents the user may see (the agency's only for what was escalated to it)."""
    return Debrief.objects.filter(incident__in=incident_policy.visible_incidents(user))


# The staff of each side who follow debriefs in progress and plan the actions of a joint briefing
# (as preparedness's).
PROVIDER_STAFF = (Role.SUPERVISOR, Role.ORG_ADMIN)
AGENCY_STAFF = (Role.LIAISON, Role.ORG_ADMIN)

IN_PROGRESS = (
    Debrief.Status.GENERATING,
    Debrief.Status.DRAFT,
    Debrief.Status.CHANGES_REQUESTED,
    Debrief.Status.SUBMITTED,
)


def can_see_debriefs_in_progress(user: AnyUser) -> bool:
    """A provider's supervisors, who write its debriefs, and its org admins, who answer for them (and
    approve them where the provider says so), follow the ones not approved yet."""
    membership = account_policy.membership_of(user)
    return (
        membership is not None and membership.role in PROVIDER_STAFF and membership.organization.is_provider
    )


def debriefs_in_progress(user: AnyUser) -> QuerySet[Debrief]:
    """The debriefs not approved yet of the user's own provider, which its supervisors write
    (drafts included; nobody else's list grows)."""
    if not can_see_debriefs_in_progress(user):
        return Debrief.objects.none()
    provider_id = account_policy.provider_id_of(user)
    return visible_debriefs(user).filter(status__in=IN_PROGRESS, incident__provider_id=provider_id)


def can_write_debrief(user: AnyUser, incident: Incident) -> bool:
    """The provider's supervisors draft, edit and submit debriefs and own the improvement plan."""
    return incident_policy.can_triage_incident(user, incident)


def can_approve_debrief(user: AnyUser, debrief: Debrief) -> bool:
    """A second person approves, never its submitter: another supervisor, or an org admin where the
    provider says so."""
    if debrief.submitted_by_id == user.pk:
        return False
    provider = debrief.incident.site.provider
    if _admins_review(provider) and account_policy.is_member_with_role(user, provider.pk, Role.ORG_ADMIN):
        return True
    return incident_policy.can_triage_incident(user, debrief.incident)


def is_waiting_on_another(user: AnyUser, debrief: Debrief) -> bool:
    """The submitter of a debrief waiting for review: someone else approves it."""
    return debrief.status == Debrief.Status.SUBMITTED and debrief.submitted_by_id == user.pk


def can_contribute_to_debrief_as_agency(user: AnyUser, debrief: Debrief) -> bool:
    """The liaisons of an agency the incident was escalated to write the agency's part."""
    agency = dispatch_policy.board_agency(user)
    return (
        agency is not None
        and account_policy.role_of(user) == Role.LIAISON
        and debrief.incident.escalations.filter(agency=agency).exists()
    )


def can_see_agency_queue(user: AnyUser) -> bool:
    """The liaisons of an agency see the debriefs waiting for its account."""
    return dispatch_policy.board_agency(user) is not None and account_policy.role_of(user) == Role.LIAISON


def debriefs_awaiting_agency(user: AnyUser) -> QuerySet[Debrief]:
    """Debriefs still open for editing, of incidents escalated to the user's agency, whose agency's
    account is not written yet: what its liaisons are asked for."""
    agency = dispatch_policy.board_agency(user)
    if agency is None or not can_see_agency_queue(user):
        return Debrief.objects.none()
    return (
        visible_debriefs(user)
        .filter(
            status__in=(Debrief.Status.DRAFT, Debrief.Status.CHANGES_REQUESTED),
            agency_contribution="",
            incident__escalations__agency=agency,
        )
        .distinct()
    )


def _briefing_staff(user: AnyUser, provider_id: int | None, agency_id: int | None) -> bool:
    return account_policy.is_member_with_role(
        user, provider_id, *PROVIDER_STAFF
    ) or account_policy.is_member_with_role(user, agency_id, *AGENCY_STAFF)


def can_plan_briefing_action(user: AnyUser, *, provider_id: int, agency_id: int) -> bool:
    """A briefing's decision becomes an action by either organization's staff."""
    return _briefing_staff(user, provider_id, agency_id)


def may_own_briefing_action(user: User, *, provider_id: int, agency_id: int) -> bool:
    """Anyone active of either organization owns a briefing's action (the police's side too)."""
    membership = account_policy.membership_of(user)
    return membership is not None and membership.organization_id in (provider_id, agency_id)


def can_update_corrective_action(user: AnyUser, action: CorrectiveAction) -> bool:
    """Its owner tracks an action to done; so do the provider's supervisors (an incident's action)
    and either organization's staff (a briefing's)."""
    if action.owner_id == user.pk:
        return True
    if action.incident is not None:
        return incident_policy.can_triage_incident(user, action.incident)
    return _briefing_staff(user, action.provider_id, action.agency_id)


def visible_corrective_actions(user: AnyUser) -> QuerySet[CorrectiveAction]:
    """An owner's own actions; the provider's people those of the incidents they see; a briefing's
    actions to both organizations' staff."""
    membership = account_policy.membership_of(user)
    if membership is None:
        return CorrectiveAction.objects.none()
    mine = Q(owner_id=user.pk)
    org = membership.organization
    if org.is_agency:
        if membership.role in AGENCY_STAFF:
            mine |= Q(incident__isnull=True, agency_id=org.pk)
    else:
        mine |= Q(incident__in=incident_policy.visible_incidents(user))
        if membership.role in PROVIDER_STAFF:
            mine |= Q(incident__isnull=True, provider_id=org.pk)
    return CorrectiveAction.objects.filter(mine)


def can_see_response_times(user: AnyUser) -> bool:
    """The response-time figures: supervisors and provider admins (their provider's escalations),
    liaisons and agency admins (their agency's), platform admins (every one)."""
    return account_policy.is_platform_admin(user) or account_policy.has_role(
        user, Role.SUPERVISOR, Role.ORG_ADMIN, Role.LIAISON
    )


def response_escalations(user: AnyUser) -> "QuerySet[Escalation]":
    """The escalations the user's response-time figures are made of."""
    if not can_see_response_times(user):
        return Escalation.objects.none()
    # Drills (preparedness) are measured in their own debrief, never in these figures.
    return dispatch_policy.visible_escalations(user).exclude(incident__exercise=Incident.Exercise.EXERCISE)
