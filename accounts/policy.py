"""The access policy: the one place that answers who may see or do what.

Selectors, services, views, the API, consumers, tasks and exports all ask here; none of them
decides access on its own. "See" questions return querysets; "do" questions return booleans.

What each role should get from each endpoint (URL, API route, websocket) is declared in
accounts/access.py and checked by the authorization matrix (tests/accounts/test_access_matrix.py):
a new endpoint needs a line there.
"""

from collections.abc import Iterable

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from accounts.models import (
    ROLES_BY_KIND,
    ApiToken,
    Membership,
    Organization,
    Role,
    Site,
    SiteAssignment,
    User,
)
from audit.models import AuditEvent
from debriefs.models import CorrectiveAction, Debrief
from dispatch.models import Escalation
from incidents.models import Evidence, Incident
from notifications.models import EscalationPolicy, Notification, OutboxMessage, WebhookEndpoint

AnyUser = User | AnonymousUser


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


def is_platform_admin(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_staff)


def organization_of(user: AnyUser) -> Organization | None:
    membership = membership_of(user)
    return membership.organization if membership else None


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


def can_manage_members(user: AnyUser, organization: Organization) -> bool:
    """Org admins manage their own organization's people; platform admins manage everyone's."""
    if is_platform_admin(user):
        return True
    membership = membership_of(user)
    return (
        membership is not None
        and membership.role == Role.ORG_ADMIN
        and membership.organization_id == organization.pk
    )


def can_grant_role(user: AnyUser, organization: Organization, role: str) -> bool:
    return can_manage_members(user, organization) and role in ROLES_BY_KIND[organization.kind]


def managed_memberships(user: AnyUser) -> QuerySet[Membership]:
    """Memberships whose role, sites and access the user may change."""
    memberships = Membership.objects.all()
    if is_platform_admin(user):
        return memberships
    membership = membership_of(user)
    if membership is None or membership.role != Role.ORG_ADMIN:
        return memberships.none()
    return memberships.filter(organization_id=membership.organization_id)


def assignable_sites(user: AnyUser, organization: Organization) -> QuerySet[Site]:
    """Sites an org admin may assign its guards to: its own provider's active sites."""
    if not can_manage_members(user, organization) or not organization.is_provider:
        return Site.objects.none()
    return Site.objects.filter(provider=organization, is_active=True)


# --- Incidents -------------------------------------------------------------------------------

PROVIDER_STAFF = (Role.SUPERVISOR, Role.ORG_ADMIN)
REPORTER_EDITABLE = (Incident.Status.DRAFT, Incident.Status.NEEDS_INFO)


def visible_incidents(user: AnyUser) -> QuerySet[Incident]:
    """Incidents the user may see.

    A guard: their own reports and the submitted reports of their sites. A provider's supervisors
    and admins: every submitted report of the provider's sites, and their own drafts. Nobody sees
    another person's draft. An agency: only what was escalated to it.
    """
    incidents = Incident.objects.all()
    if is_platform_admin(user):
        return incidents.exclude(status=Incident.Status.DRAFT)
    membership = membership_of(user)
    if membership is None:
        return incidents.none()
    if membership.organization.is_agency:
        escalated = Escalation.objects.filter(agency_id=membership.organization_id)
        return incidents.filter(pk__in=escalated.values("incident_id"))
    not_draft = ~Q(status=Incident.Status.DRAFT)
    own = Q(reporter_id=membership.user_id)
    if membership.role == Role.GUARD:
        sites = SiteAssignment.objects.filter(user_id=membership.user_id, site__is_active=True)
        return incidents.filter(own | (not_draft & Q(site_id__in=sites.values("site_id"))))
    return incidents.filter(site__provider_id=membership.organization_id).filter(own | not_draft)


def can_view_incident(user: AnyUser, incident: Incident) -> bool:
    return visible_incidents(user).filter(pk=incident.pk).exists()


def reportable_sites(user: AnyUser) -> QuerySet[Site]:
    """Sites the user may file a report for: a guard's assigned sites, a supervisor's provider's."""
    membership = membership_of(user)
    if membership is None or membership.role not in (Role.GUARD, Role.SUPERVISOR):
        return Site.objects.none()
    return visible_sites(user).filter(is_active=True)


def is_provider_staff_of(user: AnyUser, incident: Incident) -> bool:
    membership = membership_of(user)
    return (
        membership is not None
        and membership.role in PROVIDER_STAFF
        and membership.organization_id == incident.site.provider_id
    )


def can_edit_incident(user: AnyUser, incident: Incident) -> bool:
    """The reporter edits a draft or a report sent back for more information; supervisors, any open one."""
    if incident.status == Incident.Status.CLOSED:
        return False
    if incident.reporter_id == user.pk and incident.status in REPORTER_EDITABLE:
        return membership_of(user) is not None
    return incident.status != Incident.Status.DRAFT and is_provider_staff_of(user, incident)


def can_submit_incident(user: AnyUser, incident: Incident) -> bool:
    return (
        incident.reporter_id == user.pk
        and incident.status in REPORTER_EDITABLE
        and membership_of(user) is not None
    )


def can_triage_incident(user: AnyUser, incident: Incident) -> bool:
    """Supervisors triage their provider's submitted reports."""
    membership = membership_of(user)
    return (
        membership is not None
        and membership.role == Role.SUPERVISOR
        and membership.organization_id == incident.site.provider_id
    )


def can_contribute_to_incident(user: AnyUser, incident: Incident) -> bool:
    """Add notes, parties, vehicles and evidence: anyone on the provider's side who sees it, until closed."""
    if incident.status == Incident.Status.CLOSED:
        return False
    membership = membership_of(user)
    if membership is None or membership.organization.is_agency:
        return False
    return can_view_incident(user, incident)


def visible_evidence(user: AnyUser) -> QuerySet[Evidence]:
    return Evidence.objects.filter(incident__in=visible_incidents(user))


def can_view_personal_data(user: AnyUser, incident: Incident) -> bool:
    """Names and contacts of involved parties: whoever may see the incident through their
    organization (the provider's side, and the agency it was escalated to)."""
    return membership_of(user) is not None and can_view_incident(user, incident)


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


# --- Escalations and the live board ---------------------------------------------------------


def board_agency(user: AnyUser) -> Organization | None:
    """The agency whose live board the user may watch: its liaisons and its admins."""
    membership = membership_of(user)
    if membership is None or not membership.organization.is_agency:
        return None
    if membership.role not in (Role.LIAISON, Role.ORG_ADMIN):
        return None
    return membership.organization


def visible_escalations(user: AnyUser) -> QuerySet[Escalation]:
    """An agency's escalations for its people; the escalations of visible incidents for a provider."""
    agency = board_agency(user)
    if agency is not None:
        return Escalation.objects.filter(agency=agency)
    return Escalation.objects.filter(incident__in=visible_incidents(user))


def can_escalate_incident(user: AnyUser, incident: Incident) -> bool:
    """Supervisors escalate at any time; a guard directly when the report is life-threatening."""
    if incident.status in (Incident.Status.DRAFT, Incident.Status.CLOSED):
        return False
    if incident.site.agency_id is None:
        return False
    if can_triage_incident(user, incident):
        return True
    return role_of(user) == Role.GUARD and incident.severity == 1 and can_view_incident(user, incident)


def can_act_on_board(user: AnyUser, agency: Organization) -> bool:
    """Accept, reject, dispatch, on scene, clear: the agency's liaisons (its admins only watch)."""
    membership = membership_of(user)
    return (
        membership is not None and membership.role == Role.LIAISON and membership.organization_id == agency.pk
    )


def can_respond_to_escalation(user: AnyUser, escalation: Escalation) -> bool:
    return can_act_on_board(user, escalation.agency)


def can_cancel_escalation(user: AnyUser, escalation: Escalation) -> bool:
    """The provider's supervisors cancel an escalation, and clear a panic once it is safe."""
    return can_triage_incident(user, escalation.incident)


def can_press_panic(user: AnyUser, site: Site) -> bool:
    return role_of(user) == Role.GUARD and visible_sites(user).filter(pk=site.pk).exists()


def panic_sites(user: AnyUser) -> QuerySet[Site]:
    """Where a guard's panic button can send from: their assigned, active sites."""
    if role_of(user) != Role.GUARD:
        return Site.objects.none()
    return visible_sites(user).order_by("name")


def can_message_on_incident(user: AnyUser, incident: Incident) -> bool:
    """Live messages on an escalated incident: its site's guards, the provider's supervisors and
    the agency's liaisons."""
    role = role_of(user)
    if role not in (Role.GUARD, Role.SUPERVISOR, Role.LIAISON):
        return False
    if not incident.escalations.exists():
        return False
    if role == Role.GUARD:
        return visible_sites(user).filter(pk=incident.site_id).exists()
    return can_view_incident(user, incident)


# --- Debriefs ---------------------------------------------------------------------------------


def visible_debriefs(user: AnyUser) -> QuerySet[Debrief]:
    """Debriefs of the incidents the user may see (the agency's only for what was escalated to it)."""
    return Debrief.objects.filter(incident__in=visible_incidents(user))


def can_write_debrief(user: AnyUser, incident: Incident) -> bool:
    """The provider's supervisors draft, edit and submit debriefs and own the improvement plan."""
    return can_triage_incident(user, incident)


def can_approve_debrief(user: AnyUser, debrief: Debrief) -> bool:
    """A supervisor other than the one who submitted it approves (four eyes)."""
    return can_triage_incident(user, debrief.incident) and debrief.submitted_by_id != user.pk


def can_contribute_to_debrief_as_agency(user: AnyUser, debrief: Debrief) -> bool:
    """The liaisons of an agency the incident was escalated to write the agency's part."""
    agency = board_agency(user)
    return (
        agency is not None
        and role_of(user) == Role.LIAISON
        and debrief.incident.escalations.filter(agency=agency).exists()
    )


def can_update_corrective_action(user: AnyUser, action: CorrectiveAction) -> bool:
    """Its owner and the provider's supervisors track an action to done."""
    return action.owner_id == user.pk or can_triage_incident(user, action.incident)


def visible_corrective_actions(user: AnyUser) -> QuerySet[CorrectiveAction]:
    membership = membership_of(user)
    if membership is None or membership.organization.is_agency:
        return (
            CorrectiveAction.objects.filter(owner_id=user.pk)
            if membership
            else CorrectiveAction.objects.none()
        )
    return CorrectiveAction.objects.filter(incident__in=visible_incidents(user))


# --- Notifications ----------------------------------------------------------------------------


def can_manage_notifications(user: AnyUser, organization: Organization) -> bool:
    """Org admins manage their organization's escalation policies and webhook endpoints."""
    return can_manage_members(user, organization)


def _own_organization_rows(user: AnyUser, rows: QuerySet) -> QuerySet:
    if is_platform_admin(user):
        return rows
    membership = membership_of(user)
    if membership is None or membership.role != Role.ORG_ADMIN:
        return rows.none()
    return rows.filter(organization_id=membership.organization_id)


def managed_escalation_policies(user: AnyUser) -> QuerySet[EscalationPolicy]:
    """Escalation policies the user may edit: their own organization's, as its admin."""
    return _own_organization_rows(user, EscalationPolicy.objects.all())


def managed_webhook_endpoints(user: AnyUser) -> QuerySet[WebhookEndpoint]:
    """Webhook endpoints the user may edit, test and read the delivery log of: as for policies."""
    return _own_organization_rows(user, WebhookEndpoint.objects.all())


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
    return membership_of(user) is not None and can_view_incident(user, incident)


def notifiable_people(users: Iterable[User], incident: Incident) -> list[User]:
    """Those of ``users`` who may be told about the incident (can_be_notified_about, for many).
    What visible_incidents grants a non-guard depends only on their organization and role (an
    escalated incident is never a draft), so each pair is checked once; guards and platform admins
    one by one."""
    verdicts: dict[tuple[int, str], bool] = {}
    allowed = []
    for user in users:
        membership = membership_of(user)
        if membership is None:
            continue
        one_by_one = membership.role == Role.GUARD or is_platform_admin(user)
        if one_by_one or incident.status == Incident.Status.DRAFT:
            ok = can_view_incident(user, incident)
        else:
            key = (membership.organization_id, membership.role)
            if key not in verdicts:
                verdicts[key] = can_view_incident(user, incident)
            ok = verdicts[key]
        if ok:
            allowed.append(user)
    return allowed


def visible_notifications(user: AnyUser) -> QuerySet[Notification]:
    """In-app notifications: each person sees their own and nobody else's."""
    if not user.is_authenticated or not user.is_active:
        return Notification.objects.none()
    return Notification.objects.filter(recipient_id=user.pk)


def incident_notification_log(user: AnyUser, incident: Incident) -> QuerySet[OutboxMessage]:
    """Who was told about an incident, how, when and with what result: whoever may see the incident."""
    if not can_view_incident(user, incident):
        return OutboxMessage.objects.none()
    return OutboxMessage.objects.filter(incident=incident)


def can_go_on_duty(user: AnyUser) -> bool:
    """Liaisons mark themselves on or off duty; off duty they are not paged but still see the board."""
    return role_of(user) == Role.LIAISON


# --- Audit ------------------------------------------------------------------------------------


def can_read_audit_trail(user: AnyUser) -> bool:
    """Org admins read their organization's trail; platform admins read all of it."""
    return is_platform_admin(user) or role_of(user) == Role.ORG_ADMIN


def visible_audit_events(user: AnyUser) -> QuerySet[AuditEvent]:
    if is_platform_admin(user):
        return AuditEvent.objects.all()
    membership = membership_of(user)
    if membership is None or membership.role != Role.ORG_ADMIN:
        return AuditEvent.objects.none()
    return AuditEvent.objects.filter(organization_id=membership.organization_id)


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
