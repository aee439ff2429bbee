"""Who may escalate, watch and act on the live board, press the panic button and message on an incident.

Over the tenancy core (accounts/policy.py) and the incidents' rules (incidents/policy.py).
"""

from django.db.models import QuerySet

from accounts import policy as account_policy
from accounts.models import Organization, Role, Site
from accounts.policy import AnyUser
from dispatch.models import AccessFlag, Escalation
from incidents import policy as incident_policy
from incidents.models import Incident


def board_agency(user: AnyUser) -> Organization | None:
    """The agency whose live board the user may watch: its liaisons and its admins."""
    membership = account_policy.membership_of(user)
    if membership is None or not membership.organization.is_agency:
        return None
    if membership.role not in (Role.LIAISON, Role.ORG_ADMIN):
        return None
    return membership.organization


def can_watch_escalation(user: AnyUser, escalation: Escalation) -> bool:
    """The escalation is on the user's board: it was escalated to their agency."""
    agency = board_agency(user)
    return agency is not None and escalation.agency_id == agency.pk


def board_sites(user: AnyUser) -> QuerySet[Site]:
    """The sites a board's map and filters show: the active sites in the agency's jurisdiction."""
    agency = board_agency(user)
    if agency is None:
        return Site.objects.none()
    return Site.objects.filter(agency=agency, is_active=True)


def visible_escalations(user: AnyUser) -> QuerySet[Escalation]:
    """An agency's escalations for its people; the escalations of visible incidents for a provider."""
    agency = board_agency(user)
    if agency is not None:
        return Escalation.objects.filter(agency=agency)
    visible = Escalation.objects.filter(incident__in=incident_policy.visible_incidents(user))
    if account_policy.is_platform_admin(user):
        return visible
    # Tenant first: the escalation's own provider_id. The provider's staff see every escalation
    # of its incidents (only sent reports are escalated); a guard, those of the incidents they see.
    tenant = Escalation.objects.filter(provider_id=account_policy.provider_id_of(user))
    if account_policy.role_of(user) in incident_policy.PROVIDER_STAFF:
        return tenant
    return tenant.filter(incident__in=incident_policy.visible_incidents(user))


def is_cancelled_panic(incident: Incident) -> bool:
    """A panic its guard cancelled as a false press: its police request was withdrawn, and it is
    not escalated again (a real need is a new PANIC or a report)."""
    return (
        incident.category is not None
        and incident.category.code == "panic"
        and incident.timeline.filter(data__panic="cancelled").exists()
    )


def can_escalate_incident(user: AnyUser, incident: Incident) -> bool:
    """Supervisors escalate at any time; a guard directly when the report is life-threatening."""
    if incident.status in (Incident.Status.DRAFT, Incident.Status.CLOSED):
        return False
    if incident.site.agency_id is None:
        return False
    if is_cancelled_panic(incident):
        return False
    if incident_policy.can_triage_incident(user, incident):
        return True
    return (
        account_policy.role_of(user) == Role.GUARD
        and incident.severity == 1
        and incident_policy.can_view_incident(user, incident)
    )


def can_act_on_board(user: AnyUser, agency: Organization) -> bool:
    """Accept, reject, dispatch, on scene, clear: the agency's liaisons (its admins only watch)."""
    return account_policy.is_member_with_role(user, agency.pk, Role.LIAISON)


def can_respond_to_escalation(user: AnyUser, escalation: Escalation) -> bool:
    return can_act_on_board(user, escalation.agency)


def can_cancel_escalation(user: AnyUser, escalation: Escalation) -> bool:
    """The provider's supervisors cancel an escalation, and clear a panic once it is safe."""
    return incident_policy.can_triage_incident(user, escalation.incident)


def can_confirm_verification(user: AnyUser, escalation: Escalation) -> bool:
    """The provider's supervisors confirm or correct the suggested AVS-01-shaped level."""
    return incident_policy.can_triage_incident(user, escalation.incident)


def has_panic_button(user: AnyUser) -> bool:
    """Guards carry the panic button on every page they see."""
    return account_policy.role_of(user) == Role.GUARD


def can_press_panic(user: AnyUser, site: Site) -> bool:
    return has_panic_button(user) and account_policy.visible_sites(user).filter(pk=site.pk).exists()


def panic_sites(user: AnyUser) -> QuerySet[Site]:
    """Where a guard's panic button can send from: their assigned, active sites."""
    if not has_panic_button(user):
        return Site.objects.none()
    return account_policy.visible_sites(user).order_by("name")


def can_cancel_panic(user: AnyUser, incident: Incident) -> bool:
    """Only the guard who pressed a panic cancels it (a false press), and only on its own incident;
    the service checks that it is a panic and that its cancel window is still open."""
    return has_panic_button(user) and incident.reporter_id == getattr(user, "pk", None)


def can_message_on_incident(user: AnyUser, incident: Incident) -> bool:
    """Live messages on an escalated incident: its site's guards, the provider's supervisors and
    the agency's liaisons."""
    role = account_policy.role_of(user)
    if role not in (Role.GUARD, Role.SUPERVISOR, Role.LIAISON):
        return False
    if not incident.escalations.exists():
        return False
    if role == Role.GUARD:
        return account_policy.visible_sites(user).filter(pk=incident.site_id).exists()
    return incident_policy.can_view_incident(user, incident)


# --- Site safety profiles ---------------------------------------------------------------------


def profile_sites(user: AnyUser) -> QuerySet[Site]:
    """Sites whose safety profile the user may read: the provider's supervisors and org admins
    (their own sites), the partnering agency's liaisons and admins (the sites in its jurisdiction),
    platform admins. Guards are not shown the key-holders' numbers."""
    if account_policy.is_platform_admin(user):
        return Site.objects.all()
    membership = account_policy.membership_of(user)
    if membership is None or membership.role == Role.GUARD:
        return Site.objects.none()
    if membership.organization.is_agency:
        return Site.objects.filter(agency_id=membership.organization_id)
    return Site.objects.filter(provider_id=membership.organization_id)


def can_list_site_profiles(user: AnyUser) -> bool:
    """Whoever may read some site's profile opens the list (even while it is empty)."""
    return account_policy.is_platform_admin(user) or account_policy.role_of(user) in (
        Role.SUPERVISOR,
        Role.ORG_ADMIN,
        Role.LIAISON,
    )


def can_edit_site_profile(user: AnyUser, site: Site) -> bool:
    """The provider's supervisors keep their sites' profiles."""
    return account_policy.is_member_with_role(user, site.provider_id, Role.SUPERVISOR)


def cad_code_agency(user: AnyUser) -> Organization | None:
    """The agency whose own CAD codes the user reads (its liaisons and admins, as on the board)."""
    return board_agency(user)


def can_edit_cad_codes(user: AnyUser, agency: Organization) -> bool:
    """An agency's own org admins map the categories to their CAD's codes."""
    return agency.is_agency and account_policy.is_member_with_role(user, agency.pk, Role.ORG_ADMIN)


def _reviewed_agency_id(user: AnyUser) -> int | None:
    membership = account_policy.membership_of(user)
    if membership is None or not membership.organization.is_agency or membership.role != Role.ORG_ADMIN:
        return None
    return membership.organization_id


def can_review_access_flags(user: AnyUser) -> bool:
    """The access review's flags are for the agency's org admins (their own people's access)."""
    return _reviewed_agency_id(user) is not None


def visible_access_flags(user: AnyUser) -> QuerySet[AccessFlag]:
    agency_id = _reviewed_agency_id(user)
    return AccessFlag.objects.none() if agency_id is None else AccessFlag.objects.filter(agency_id=agency_id)
