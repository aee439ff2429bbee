"""Who may export an incident's evidence bundle and see the bundles made.

Over the tenancy core (accounts/policy.py) and the rules of incidents. A bundle leaves the platform
for a police case file: only the provider's supervisors and the liaisons of an agency the incident
was escalated to make one, and each side sees the bundles its own people made.
"""

from django.db.models import QuerySet
from django.utils import timezone

from accounts import policy as account_policy
from accounts.models import Role
from accounts.policy import AnyUser
from dispatch.models import Escalation
from exports.models import Bundle
from incidents import policy as incident_policy
from incidents.models import Incident
from preparedness import policy as preparedness_policy
from preparedness.models import Drill


def _escalated_to_agency(user: AnyUser, incident: Incident) -> bool:
    membership = account_policy.membership_of(user)
    if membership is None or membership.role != Role.LIAISON or not membership.organization.is_agency:
        return False
    return Escalation.objects.filter(incident=incident, agency_id=membership.organization_id).exists()


def can_export_incident(user: AnyUser, incident: Incident) -> bool:
    """An escalated incident: its provider's supervisors, or a liaison of an agency it was escalated to."""
    if not incident.escalations.exists() or not incident_policy.can_view_incident(user, incident):
        return False
    return incident_policy.can_triage_incident(user, incident) or _escalated_to_agency(user, incident)


def visible_bundles(user: AnyUser) -> QuerySet[Bundle]:
    """The bundles the user's organization made, of incidents the user may still see and export."""
    organization = account_policy.organization_of(user)
    if organization is None or account_policy.role_of(user) not in (Role.SUPERVISOR, Role.LIAISON):
        return Bundle.objects.none()
    return Bundle.objects.filter(
        organization=organization, incident__in=incident_policy.visible_incidents(user)
    )


def can_fetch_eido(user: AnyUser, incident: Incident) -> bool:
    """An escalated incident's EIDO: the provider's supervisors and org admins, and the people of an
    agency it was escalated to (their CAD's tokens included)."""
    if not incident.escalations.exists() or not incident_policy.can_view_incident(user, incident):
        return False
    membership = account_policy.membership_of(user)
    if membership is None:
        return False
    if membership.organization.is_agency:
        return Escalation.objects.filter(incident=incident, agency_id=membership.organization_id).exists()
    return incident_policy.is_provider_staff_of(user, incident)


def can_download_activity_log(user: AnyUser, incident: Incident) -> bool:
    """A closed incident's ICS-214: its provider's supervisors and org admins, and the people of an
    agency it was escalated to."""
    if not incident.is_closed or not incident_policy.can_view_incident(user, incident):
        return False
    membership = account_policy.membership_of(user)
    if membership is None:
        return False
    if membership.organization.is_agency:
        return Escalation.objects.filter(incident=incident, agency_id=membership.organization_id).exists()
    return incident_policy.is_provider_staff_of(user, incident)


def can_download_drill_activity_log(user: AnyUser, drill: Drill) -> bool:
    """A drill's ICS-214: whoever may see the drill (its sites' people and its participants), once
    its window has opened, unless it was cancelled."""
    if drill.cancelled_at or drill.starts_at > timezone.now():
        return False
    return preparedness_policy.visible_drills(user).filter(pk=drill.pk).exists()
