"""Who may open the analytics and which incidents their figures count.

Over incidents' policy: a supervisor or provider admin counts their provider's submitted reports;
a liaison or agency admin only what was shared with (escalated to) their agency; a platform admin
everything. Guards and people in no organization see no analytics. Drafts are never counted.
"""

from django.db.models import QuerySet

from accounts import policy as account_policy
from accounts.models import Partnership, Role
from accounts.policy import AnyUser
from analytics.models import PartnershipReport
from incidents import policy as incident_policy
from incidents.models import Incident

ANALYSTS = (Role.SUPERVISOR, Role.ORG_ADMIN, Role.LIAISON)


def can_open_analytics(user: AnyUser) -> bool:
    return account_policy.is_platform_admin(user) or account_policy.has_role(user, *ANALYSTS)


def counted_incidents(user: AnyUser) -> QuerySet[Incident]:
    """The incidents the user's figures are made of (never a draft)."""
    if not can_open_analytics(user):
        return Incident.objects.none()
    # Drills (preparedness) never count in a figure.
    return (
        incident_policy.visible_incidents(user)
        .exclude(status=Incident.Status.DRAFT)
        .exclude(exercise=Incident.Exercise.EXERCISE)
    )


def visible_partnerships(user: AnyUser) -> QuerySet[Partnership]:
    """The partnerships whose scorecard the user sees: their own organization's, on either side
    (a provider's supervisors and admins, an agency's liaisons and admins); a platform admin every one."""
    if account_policy.is_platform_admin(user):
        return Partnership.objects.all()
    membership = account_policy.membership_of(user)
    if membership is None or membership.role not in ANALYSTS:
        return Partnership.objects.none()
    if membership.organization.is_agency:
        return Partnership.objects.filter(agency_id=membership.organization_id)
    return Partnership.objects.filter(provider_id=membership.organization_id)


def can_request_partnership_report(user: AnyUser, partnership: Partnership) -> bool:
    """Whoever sees a partnership's scorecard may have its PDF built on demand."""
    return visible_partnerships(user).filter(pk=partnership.pk).exists()


def visible_partnership_reports(user: AnyUser) -> QuerySet[PartnershipReport]:
    return PartnershipReport.objects.filter(partnership__in=visible_partnerships(user))


def counted_providers(user: AnyUser) -> list[int] | None:
    """Whose incidents the user's trends are made of, when the rollup can answer: the user's own
    provider for its supervisors and admins, every provider ([]) for a platform admin; None for
    everyone else (an agency's figures follow its shares, which end and expire by the clock, so
    they are counted from the incidents)."""
    if account_policy.is_platform_admin(user):
        return []
    provider_id = account_policy.provider_id_of(user)
    if provider_id is None or not account_policy.has_role(user, *incident_policy.PROVIDER_STAFF):
        return None
    return [provider_id]
