"""Who may configure notifications, who may be told about an incident, and who sees which notification.

Over the tenancy core (accounts/policy.py) and the incidents' rules (incidents/policy.py).
"""

from collections.abc import Iterable

from django.db.models import QuerySet

from accounts import policy as account_policy
from accounts.models import Organization, Role, Site, User
from accounts.policy import AnyUser
from incidents import policy as incident_policy
from incidents.models import Incident
from notifications.models import Alert, EscalationPolicy, Kind, Notification, OutboxMessage, WebhookEndpoint

# The kinds of notification each role can receive, so the settings page offers only those.
_COMMON = (Kind.PAGE, Kind.UPDATE, Kind.MESSAGE)
KINDS_BY_ROLE: dict[str, tuple[str, ...]] = {
    Role.GUARD: (Kind.INFO_REQUEST, Kind.UPDATE, Kind.MESSAGE, Kind.ACTION, Kind.BULLETIN, Kind.PATROL),
    Role.SUPERVISOR: (
        Kind.PANIC,
        Kind.REPORT,
        *_COMMON,
        Kind.DEBRIEF,
        Kind.ACTION,
        Kind.REMINDER,
        Kind.BULLETIN,
        Kind.PATROL,
    ),
    Role.LIAISON: (*_COMMON, Kind.DEBRIEF, Kind.REMINDER),
    Role.ORG_ADMIN: (
        Kind.PANIC,
        Kind.REPORT,
        *_COMMON,
        Kind.DEBRIEF,
        Kind.ACTION,
        Kind.REMINDER,
        Kind.INTEGRITY,
    ),
}


def can_manage_notifications(user: AnyUser, organization: Organization) -> bool:
    """Org admins manage their organization's escalation policies and webhook endpoints."""
    return account_policy.can_manage_members(user, organization)


def managed_escalation_policies(user: AnyUser) -> QuerySet[EscalationPolicy]:
    """Escalation policies the user may edit: their own organization's, as its admin."""
    return account_policy.in_administered_organization(user, EscalationPolicy.objects.all())


def managed_webhook_endpoints(user: AnyUser) -> QuerySet[WebhookEndpoint]:
    """Webhook endpoints the user may edit, test and read the delivery log of: as for policies."""
    return account_policy.in_administered_organization(user, WebhookEndpoint.objects.all())


def policy_sites(user: AnyUser, organization: Organization) -> QuerySet[Site]:
    """Sites a policy of the organization may be limited to: an agency's jurisdiction, a provider's own."""
    if not can_manage_notifications(user, organization):
        return Site.objects.none()
    if organization.is_agency:
        return Site.objects.filter(agency=organization, is_active=True)
    return Site.objects.filter(provider=organization, is_active=True)


def policy_people(user: AnyUser, organization: Organization) -> QuerySet[User]:
    """People a policy step may name: the organization's own active members, nobody else's."""
    if not can_manage_notifications(user, organization):
        return User.objects.none()
    return User.objects.filter(membership__organization=organization, is_active=True)


def can_be_notified_about(user: User, incident: Incident) -> bool:
    """A notification about an incident goes only to an active member who may see the incident."""
    return account_policy.membership_of(user) is not None and incident_policy.can_view_incident(
        user, incident
    )


def notifiable_people(users: Iterable[User], incident: Incident) -> list[User]:
    """Those of ``users`` who may be told about the incident (can_be_notified_about, for many).
    What visible_incidents grants a non-guard depends only on their organization and role (an
    escalated incident is never a draft), so each pair is checked once; guards and platform admins
    one by one."""
    verdicts: dict[tuple[int, str], bool] = {}
    allowed = []
    for user in users:
        membership = account_policy.membership_of(user)
        if membership is None:
            continue
        one_by_one = membership.role == Role.GUARD or account_policy.is_platform_admin(user)
        if one_by_one or incident.status == Incident.Status.DRAFT:
            ok = incident_policy.can_view_incident(user, incident)
        else:
            key = (membership.organization_id, membership.role)
            if key not in verdicts:
                verdicts[key] = incident_policy.can_view_incident(user, incident)
            ok = verdicts[key]
        if ok:
            allowed.append(user)
    return allowed


def can_acknowledge(user: AnyUser, alert: Alert) -> bool:
    """Who may confirm they have an alert: a person it was sent to (on any channel, the exhausted
    ladder's broadcast included) who may still see the incident. Never the person who raised it
    (the guard who pressed the panic); the service says so in words."""
    if not user.is_authenticated or not user.is_active or user.pk == alert.raised_by_id:
        return False
    sent = OutboxMessage.objects.filter(alert=alert, recipient_id=user.pk).exists()
    return sent and incident_policy.can_view_incident(user, alert.incident)


def has_inbox(user: AnyUser) -> bool:
    """Every active, signed-in person has an inbox of their own: its page and its live socket."""
    return user.is_authenticated and user.is_active


def visible_notifications(user: AnyUser) -> QuerySet[Notification]:
    """In-app notifications: each person sees their own and nobody else's."""
    if not has_inbox(user):
        return Notification.objects.none()
    return Notification.objects.filter(recipient_id=user.pk)


def incident_notification_log(user: AnyUser, incident: Incident) -> QuerySet[OutboxMessage]:
    """Who was told about an incident, how, when and with what result: whoever may see the incident."""
    if not incident_policy.can_view_incident(user, incident):
        return OutboxMessage.objects.none()
    return OutboxMessage.objects.filter(incident=incident)


def triage_provider_id(user: AnyUser) -> int | None:
    """The provider whose live triage count the user follows: a supervisor's own (None for others)."""
    if not incident_policy.can_see_triage_queue(user):
        return None
    membership = account_policy.membership_of(user)
    return membership.organization_id if membership is not None else None


def preference_kinds(user: AnyUser) -> tuple[str, ...]:
    """The kinds of notification a person chooses channels for: those their role can receive."""
    role = account_policy.role_of(user)
    return KINDS_BY_ROLE.get(role, _COMMON) if role else _COMMON


def can_go_on_duty(user: AnyUser) -> bool:
    """Liaisons and supervisors mark themselves on or off duty: off duty, liaisons are not paged
    (the board stays open) and supervisors are not told of reports and panics while a colleague is
    on duty (docs/notifications.md, "Who is told what")."""
    return account_policy.role_of(user) in (Role.LIAISON, Role.SUPERVISOR)
