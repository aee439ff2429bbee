"""Reads for the patrol pages and API, scoped by patrols/policy.py."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.models import Site, User
from accounts.policy import AnyUser, visible_sites
from patrols import policy
from patrols.models import (
    Checkpoint,
    ClientContact,
    DailyReport,
    LoneWorkerAlert,
    PatrolSettings,
    RoundVisit,
    Scan,
    Shift,
    Tour,
    TourRound,
)


def get_open_shift(*, guard: AnyUser) -> Shift | None:
    """The guard's open shift, or None."""
    if not guard.is_authenticated:
        return None
    return Shift.objects.select_related("site").filter(guard_id=guard.pk, ended_at__isnull=True).first()


def list_workable_sites(*, guard: AnyUser) -> QuerySet[Site]:
    return visible_sites(guard).order_by("name")


def unread_before_shift(*, guard: User, site: Site) -> list[tuple[str, str]]:
    """What the guard must read and acknowledge before a shift at the site, as (label, link) pairs,
    from the rule named in settings (preparedness's, a peer patrols never imports); none named: nothing."""
    rule = getattr(settings, "SHIFT_READINESS_RULE", "")
    return list(import_string(rule)(guard=guard, site=site)) if rule else []


def sites_to_read_for(*, guard: User) -> list[tuple[Site, list[tuple[str, str]]]]:
    """The guard's sites with something to read before a shift there (the shift page's list)."""
    found = []
    for site in list_workable_sites(guard=guard):
        unread = unread_before_shift(guard=guard, site=site)
        if unread:
            found.append((site, unread))
    return found


def get_shift(*, shift_id: Any, for_user: AnyUser) -> Shift:
    return policy.visible_shifts(for_user).select_related("site", "guard").get(public_id=shift_id)


def list_shift_rounds(*, shift: Shift) -> list[TourRound]:
    return list(shift.rounds.select_related("tour").annotate(visited=Count("visits")).order_by("due_at"))


def list_unwalked(*, shift: Shift) -> list[tuple[TourRound, list[str]]]:
    """The shift's open rounds with the checkpoints not scanned in them yet, by name (what ending
    the shift now leaves unwalked); rounds with nothing left are not listed."""
    unwalked = []
    for tour_round in (
        shift.rounds.filter(status=TourRound.Status.OPEN).select_related("tour").order_by("due_at")
    ):
        visited = set(tour_round.visits.values_list("checkpoint_id", flat=True))
        names = [
            stop.checkpoint.name
            for stop in tour_round.tour.stops.select_related("checkpoint")
            if stop.checkpoint_id not in visited
        ]
        if names:
            unwalked.append((tour_round, names))
    return unwalked


def list_shift_scans(*, shift: Shift, limit: int = 20) -> QuerySet[Scan]:
    return shift.scans.select_related("checkpoint").order_by("-received_at", "-pk")[:limit]


def get_managed_site(*, site_id: Any, for_user: AnyUser) -> Site:
    return policy.managed_sites(for_user).get(pk=site_id)


def list_managed_sites(*, for_user: AnyUser) -> QuerySet[Site]:
    return policy.managed_sites(for_user).filter(is_active=True).order_by("name")


def list_checkpoints(*, site: Site) -> QuerySet[Checkpoint]:
    return Checkpoint.objects.filter(site=site, is_active=True).order_by("name")


def list_area_checkpoints(*, site: Site, for_user: AnyUser) -> QuerySet[Checkpoint]:
    """The checkpoints a joint patrol planned at ``site`` may take: the site's own, and those of the
    provider's other active sites partnered with the same agency that the user manages."""
    if site.agency_id is None:
        return Checkpoint.objects.none()
    area = policy.managed_sites(for_user).filter(
        provider_id=site.provider_id, agency_id=site.agency_id, is_active=True
    )
    return (
        Checkpoint.objects.filter(site__in=area, is_active=True)
        .exclude(site=site)
        .select_related("site")
        .order_by("site__name", "name")
    )


def list_tours(*, site: Site) -> QuerySet[Tour]:
    return (
        Tour.objects.filter(site=site, is_active=True)
        .prefetch_related("stops__checkpoint__site")
        .order_by("name")
    )


def list_contacts(*, site: Site) -> QuerySet[ClientContact]:
    return ClientContact.objects.filter(site=site, is_active=True).order_by("name")


def list_on_duty(*, for_user: AnyUser) -> QuerySet[Shift]:
    """The open shifts the user may see, by site: who is on duty where."""
    return (
        policy.visible_shifts(for_user)
        .filter(ended_at__isnull=True)
        .select_related("site", "guard")
        .order_by("site__name", "started_at")
    )


def list_open_alerts(*, for_user: AnyUser) -> QuerySet[LoneWorkerAlert]:
    return (
        policy.visible_alerts(for_user)
        .filter(acknowledged_at__isnull=True, resolved_by_checkin_at__isnull=True)
        .select_related("shift__site", "shift__guard")
        .order_by("raised_at")
    )


def get_alert(*, alert_id: Any, for_user: AnyUser) -> LoneWorkerAlert:
    return (
        policy.visible_alerts(for_user).select_related("shift__site", "shift__guard").get(public_id=alert_id)
    )


def list_missed_rounds(*, for_user: AnyUser, limit: int = 50) -> QuerySet[TourRound]:
    shifts = policy.visible_shifts(for_user)
    return (
        TourRound.objects.filter(shift__in=shifts)
        .filter(Q(status=TourRound.Status.MISSED) | Q(status=TourRound.Status.LATE))
        .select_related("tour", "shift__site", "shift__guard")
        .order_by("-due_at")[:limit]
    )


def list_reports(*, for_user: AnyUser, limit: int = 30) -> QuerySet[DailyReport]:
    return (
        policy.visible_reports(for_user)
        .select_related("site", "shift__guard")
        .order_by("-created_at")[:limit]
    )


def get_report(*, report_id: Any, for_user: AnyUser) -> DailyReport:
    return (
        policy.visible_reports(for_user)
        .select_related("site", "shift__guard", "reviewed_by")
        .get(public_id=report_id)
    )


def list_guards(*, site: Site) -> QuerySet[User]:
    """The guards assigned to a site (whom a supervisor may start a shift for)."""
    return User.objects.filter(
        is_active=True, membership__role="guard", site_assignments__site=site
    ).order_by("full_name", "email")


@dataclass(frozen=True)
class ComplianceDay:
    day: date
    expected: int
    on_time: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.on_time / self.expected) if self.expected else None


def week_of(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def tour_compliance(*, site: Site, week: date) -> list[ComplianceDay]:
    """Per day of the site's week (Monday first): checkpoints owed by rounds due that day, and how
    many of them were scanned by the round's deadline."""
    zone = site.zone
    start = datetime.combine(week_of(week), time.min, tzinfo=zone)
    days = []
    for offset in range(7):
        begin = start + timedelta(days=offset)
        rounds = TourRound.objects.filter(
            shift__site=site, due_at__gte=begin, due_at__lt=begin + timedelta(days=1)
        ).exclude(status=TourRound.Status.OPEN, deadline_at__gte=timezone.now())
        expected = sum(r.tour.stops.count() for r in rounds.select_related("tour"))
        on_time = 0
        for visit in RoundVisit.objects.filter(round__in=rounds).select_related("scan", "round"):
            on_time += visit.scan.received_at <= visit.round.deadline_at
        days.append(ComplianceDay(day=begin.date(), expected=expected, on_time=on_time))
    return days


@dataclass(frozen=True)
class JointPatrol:
    shift: Shift
    tour: Tour
    last_scan: Scan | None
    overdue: list[TourRound]


def list_joint_patrols(*, for_user: AnyUser) -> list[JointPatrol]:
    """The running joint patrols the agency's people follow: who, the last checkpoint, what is overdue."""
    now = timezone.now()
    patrols = []
    shifts = (
        policy.visible_joint_shifts(for_user).filter(ended_at__isnull=True).select_related("site", "guard")
    )
    for shift in shifts.order_by("site__name", "started_at"):
        tour = (
            Tour.objects.filter(site_id=shift.site_id, agency_id=shift.site.agency_id, is_active=True)
            .select_related("site")
            .prefetch_related("stops__checkpoint__site")
            .first()
        )
        if tour is None:
            continue
        last = (
            shift.scans.filter(outcome=Scan.Outcome.ACCEPTED, checkpoint__tours=tour)
            .select_related("checkpoint__site")
            .order_by("-received_at")
            .first()
        )
        overdue = list(
            shift.rounds.filter(tour=tour)
            .filter(Q(status=TourRound.Status.MISSED) | Q(status=TourRound.Status.OPEN, due_at__lt=now))
            .order_by("due_at")
        )
        patrols.append(JointPatrol(shift=shift, tour=tour, last_scan=last, overdue=overdue))
    return patrols


@dataclass(frozen=True)
class Hotspot:
    site: Site
    observed: int
    baseline: float


def list_hotspots(*, for_user: AnyUser, sites: QuerySet[Site], today: date | None = None) -> list[Hotspot]:
    """Which of ``sites`` have rising incident counts for the user, most significant first, from the
    rule named in settings (analytics' hotspots, a peer patrols never imports); none named: none."""
    rule = getattr(settings, "PATROL_HOTSPOTS", "")
    if not rule:
        return []
    rises = import_string(rule)(for_user=for_user, today=today or timezone.localdate())
    found = {site.pk: site for site in sites.filter(pk__in=[site_id for site_id, _ in rises])}
    return [
        Hotspot(site=found[site_id], observed=rise.observed, baseline=rise.baseline)
        for site_id, rise in rises
        if site_id in found
    ]


def list_partner_sites(*, for_user: AnyUser) -> QuerySet[Site]:
    """The sites an agency's people may ask a joint patrol for (partnered with their agency)."""
    return policy.joint_partner_sites(for_user).select_related("provider").order_by("name")


def get_patrol_settings(*, site: Site) -> PatrolSettings:
    """The site's patrol rules (an unsaved default when it has none yet)."""
    return PatrolSettings.objects.filter(site=site).first() or PatrolSettings(site=site)


@dataclass(frozen=True)
class PatrolCompliance:
    """A partnership's patrol figures over a period: tour rounds due and walked on time, shifts
    ended and those whose daily activity report was built (and reviewed)."""

    rounds: int
    on_time: int
    late: int
    missed: int
    shifts: int
    reports: int
    reviewed: int

    @property
    def tour_percent(self) -> float | None:
        return round(100 * self.on_time / self.rounds, 1) if self.rounds else None

    @property
    def report_percent(self) -> float | None:
        return round(100 * self.reports / self.shifts, 1) if self.shifts else None


def partnership_patrol_compliance(
    *, provider_id: int, agency_id: int, first: date, last: date
) -> PatrolCompliance:
    """Tour and daily-activity-report compliance of the provider's sites in the agency's
    jurisdiction, from ``first`` to ``last`` (days, each site's own calendar). A round still open
    before its deadline is not counted yet; a shift counts when it has ended."""
    rounds = on_time = late = missed = shifts = reports = reviewed = 0
    now = timezone.now()
    for site in Site.objects.filter(provider_id=provider_id, agency_id=agency_id):
        zone = site.zone
        begin = datetime.combine(first, time.min, tzinfo=zone)
        end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone)
        due = (
            TourRound.objects.filter(shift__site=site, due_at__gte=begin, due_at__lt=end)
            .exclude(status=TourRound.Status.OPEN, deadline_at__gte=now)
            .values("status")
            .annotate(n=Count("pk"))
        )
        for row in due:
            rounds += row["n"]
            on_time += row["n"] if row["status"] == TourRound.Status.ON_TIME else 0
            late += row["n"] if row["status"] == TourRound.Status.LATE else 0
            missed += row["n"] if row["status"] in (TourRound.Status.MISSED, TourRound.Status.OPEN) else 0
        ended = Shift.objects.filter(site=site, ended_at__gte=begin, ended_at__lt=end)
        shifts += ended.count()
        built = DailyReport.objects.filter(
            shift__in=ended, status__in=(DailyReport.Status.READY, DailyReport.Status.REVIEWED)
        )
        reports += built.count()
        reviewed += built.filter(status=DailyReport.Status.REVIEWED).count()
    return PatrolCompliance(rounds, on_time, late, missed, shifts, reports, reviewed)
