"""Who may do what with shifts, checkpoints, tours, alerts and daily activity reports, over the
tenancy core (accounts/policy.py)."""

from django.db.models import QuerySet

from accounts.models import Role, Site
from accounts.policy import AnyUser, has_role, is_platform_admin, membership_of, visible_sites
from patrols.models import Checkpoint, ClientContact, DailyReport, LoneWorkerAlert, Shift


def can_work_at(user: AnyUser, site: Site) -> bool:
    """A guard works shifts at their own assigned, active sites."""
    return has_role(user, Role.GUARD) and visible_sites(user).filter(pk=site.pk).exists()


def managed_sites(user: AnyUser) -> QuerySet[Site]:
    """Sites whose patrols the user manages: a provider's supervisors and org admins, its sites."""
    membership = membership_of(user)
    if membership is None or membership.role not in (Role.SUPERVISOR, Role.ORG_ADMIN):
        return Site.objects.none()
    if not membership.organization.is_provider:
        return Site.objects.none()
    return Site.objects.filter(provider_id=membership.organization_id)


def board_provider_id(user: AnyUser) -> int | None:
    """The provider whose patrol board the user watches (its supervisors and org admins), or None."""
    return membership_of(user).organization_id if can_open_board(user) else None  # type: ignore[union-attr]


def can_open_board(user: AnyUser) -> bool:
    """The patrol board and a site's patrol pages: a provider's supervisors and org admins."""
    membership = membership_of(user)
    return (
        membership is not None
        and membership.role in (Role.SUPERVISOR, Role.ORG_ADMIN)
        and membership.organization.is_provider
    )


def manages_site(user: AnyUser, site: Site) -> bool:
    return managed_sites(user).filter(pk=site.pk).exists()


def supervises_site(user: AnyUser, site: Site) -> bool:
    """Supervisors run the shifts: start or end one for a guard, review and send reports."""
    return has_role(user, Role.SUPERVISOR) and manages_site(user, site)


def can_manage_contacts(user: AnyUser, site: Site) -> bool:
    """A site's client contacts are managed by its provider's org admins."""
    return has_role(user, Role.ORG_ADMIN) and manages_site(user, site)


def visible_shifts(user: AnyUser) -> QuerySet[Shift]:
    """A guard's own shifts; a provider's supervisors' and org admins' every shift of its sites."""
    shifts = Shift.objects.all()
    if is_platform_admin(user):
        return shifts
    if has_role(user, Role.GUARD):
        membership = membership_of(user)
        assert membership is not None
        return shifts.filter(guard_id=membership.user_id)
    return shifts.filter(site__in=managed_sites(user))


def visible_joint_shifts(user: AnyUser) -> QuerySet[Shift]:
    """An agency's people see the shifts of its jurisdiction's sites that have a joint patrol with it."""
    membership = membership_of(user)
    if membership is None or not membership.organization.is_agency:
        return Shift.objects.none()
    agency_id = membership.organization_id
    return Shift.objects.filter(
        site__agency_id=agency_id, site__tours__agency_id=agency_id, site__tours__is_active=True
    ).distinct()


def can_follow_joint_patrols(user: AnyUser) -> bool:
    return joint_agency_id(user) is not None


def joint_agency_id(user: AnyUser) -> int | None:
    """The agency whose joint patrols the user follows (its liaisons and org admins), or None."""
    membership = membership_of(user)
    if membership is None or not membership.organization.is_agency:
        return None
    return membership.organization_id


def joint_partner_sites(user: AnyUser) -> QuerySet[Site]:
    """The active sites partnered with the user's agency: where its people may ask for a joint patrol."""
    agency_id = joint_agency_id(user)
    if agency_id is None:
        return Site.objects.none()
    return Site.objects.filter(agency_id=agency_id, is_active=True)


def visible_checkpoints(user: AnyUser) -> QuerySet[Checkpoint]:
    return Checkpoint.objects.filter(site__in=managed_sites(user))


def visible_contacts(user: AnyUser) -> QuerySet[ClientContact]:
    return ClientContact.objects.filter(site__in=managed_sites(user))


def visible_reports(user: AnyUser) -> QuerySet[DailyReport]:
    """A guard reads the reports of their own shifts; the provider's managers every report of its sites."""
    reports = DailyReport.objects.all()
    if is_platform_admin(user):
        return reports
    if has_role(user, Role.GUARD):
        return reports.filter(shift__in=visible_shifts(user))
    return reports.filter(site__in=managed_sites(user))


def visible_alerts(user: AnyUser) -> QuerySet[LoneWorkerAlert]:
    """The guard's own alerts; the provider's managers' for their sites; an agency's liaisons those
    that climbed to it (the ladder's last step, for a site in its jurisdiction)."""
    alerts = LoneWorkerAlert.objects.all()
    if is_platform_admin(user):
        return alerts
    membership = membership_of(user)
    if membership is None:
        return alerts.none()
    if membership.role == Role.LIAISON:
        return alerts.filter(
            step=LoneWorkerAlert.Step.AGENCY, shift__site__agency_id=membership.organization_id
        )
    return alerts.filter(shift__in=visible_shifts(user))


def can_acknowledge(user: AnyUser, alert: LoneWorkerAlert) -> bool:
    """Someone other than the guard confirms the guard is safe: the site's supervisors, or the
    agency's liaisons once it reached them. A guard never acknowledges their own alert."""
    membership = membership_of(user)
    if membership is None or membership.user_id == alert.shift.guard_id:
        return False
    if membership.role == Role.LIAISON:
        return visible_alerts(user).filter(pk=alert.pk).exists()
    return supervises_site(user, alert.shift.site)


def can_review_report(user: AnyUser, report: DailyReport) -> bool:
    return supervises_site(user, report.site)
