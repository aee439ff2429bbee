"""Who may see, write, review and approve debriefs, and track their corrective actions.

Over the tenancy core (accounts/policy.py) and the rules of incidents and dispatch.
"""

from django.db.models import QuerySet

from accounts import policy as account_policy
from accounts.models import Organization, Role
from accounts.policy import AnyUser
from debriefs.models import CorrectiveAction, Debrief
from dispatch import policy as dispatch_policy
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


def can_write_debrief(user: AnyUser, incident: Incident) -> bool:
    """The provider's supervisors draft, edit and submit debriefs and own the improvement plan."""
    return incident_policy.can_triage_incident(user, incident)


def can_approve_debrief(user: AnyUser, debrief: Debrief) -> bool:
    """Four eyes, never its submitter: another supervisor, or an org admin where the provider says so."""
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


def can_update_corrective_action(user: AnyUser, action: CorrectiveAction) -> bool:
    """Its owner and the provider's supervisors track an action to done."""
    return action.owner_id == user.pk or incident_policy.can_triage_incident(user, action.incident)


def visible_corrective_actions(user: AnyUser) -> QuerySet[CorrectiveAction]:
    membership = account_policy.membership_of(user)
    if membership is None or membership.organization.is_agency:
        return (
            CorrectiveAction.objects.filter(owner_id=user.pk)
            if membership
            else CorrectiveAction.objects.none()
        )
    return CorrectiveAction.objects.filter(incident__in=incident_policy.visible_incidents(user))
