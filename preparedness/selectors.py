"""Reads of plans, drills, briefings and community events, scoped by the access policy; and the
drill rule incidents asks by name (settings.INCIDENT_DRILL_RULE) when a report is filed."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from accounts.models import Site, SiteAssignment, User
from accounts.policy import AnyUser
from incidents.models import Incident
from preparedness import policy
from preparedness.models import (
    Acknowledgement,
    Attendee,
    Briefing,
    CommunityEvent,
    Decision,
    Drill,
    Plan,
    PlanVersion,
)

IN_FORCE = (PlanVersion.Status.APPROVED, PlanVersion.Status.PUBLISHED)
Exercise = Incident.Exercise


# --- The drill rule ---------------------------------------------------------------------------------


def running_drills(*, site: Site, at: datetime) -> QuerySet[Drill]:
    """Drills whose window is open at ``site`` at ``at`` (cancelled ones never are)."""
    return Drill.objects.filter(site=site, starts_at__lte=at, ends_at__gt=at, cancelled_at__isnull=True)


def exercise_mark(*, reporter: User, site: Site, as_drill: bool, panic: bool, at: datetime) -> str:
    """A report's mark: EXERCISE when filed as drill (a drill must be running at the site), or by a
    participant of a drill set to mark participants' reports (never a panic: a panic is real unless
    pressed as drill); REAL for anything else filed at the site during a drill; else none."""
    drills = running_drills(site=site, at=at)
    if as_drill:
        if drills.exists():
            return Exercise.EXERCISE
        if panic:
            return Exercise.NONE  # a panic is never refused: without a drill it is simply real
        raise ValidationError("No drill is running at this site now: file the report as real.")
    if not drills.exists():
        return Exercise.NONE
    if not panic and drills.filter(mark_participants=True, participants=reporter).exists():
        return Exercise.EXERCISE
    return Exercise.REAL


def running_drills_for(*, user: AnyUser) -> QuerySet[Drill]:
    """The drills running now at the sites the user may see (the report form's banner)."""
    now = timezone.now()
    return (
        policy.visible_drills(user)
        .filter(starts_at__lte=now, ends_at__gt=now, cancelled_at__isnull=True)
        .select_related("site")
    )


# --- Plans ------------------------------------------------------------------------------------------


def list_plans(*, for_user: AnyUser) -> QuerySet[Plan]:
    return policy.visible_plans(for_user).select_related("site").prefetch_related("versions")


def get_plan(*, plan_id: uuid.UUID | str, for_user: AnyUser) -> Plan:
    plan = (
        policy.visible_plans(for_user)
        .select_related("site__provider", "site__agency")
        .filter(public_id=plan_id)
        .first()
    )
    if plan is None:
        raise Http404("No such plan.")
    return plan


def current_version(plan: Plan) -> PlanVersion | None:
    """The version in force: the newest approved (ERP) or published (post orders) one."""
    return plan.versions.filter(status__in=IN_FORCE).order_by("-number").first()


def latest_version(plan: Plan) -> PlanVersion | None:
    return plan.versions.order_by("-number").first()


def list_versions(*, plan: Plan, for_user: AnyUser) -> list[PlanVersion]:
    versions = plan.versions.select_related("written_by", "in_force_by").prefetch_related(
        "comments__author", "attachments"
    )
    return [version for version in versions if policy.can_see_version(for_user, version)]


def pending_acknowledgements(*, user: User) -> QuerySet[PlanVersion]:
    """Versions in force at the guard's sites that the guard has not acknowledged."""
    sites = SiteAssignment.objects.filter(user=user, site__is_active=True).values("site_id")
    newest = PlanVersion.objects.filter(plan__site_id__in=sites, status__in=IN_FORCE)
    in_force = [
        version.pk
        for version in newest.order_by("plan_id", "-number").distinct()
        if version.pk == getattr(current_version(version.plan), "pk", None)
    ]
    return (
        PlanVersion.objects.filter(pk__in=in_force)
        .exclude(acknowledgements__user=user)
        .select_related("plan__site")
        .order_by("plan__site__name", "plan__kind", "plan__scenario")
    )


def unread_before_shift(*, guard: User, site: Site) -> list[tuple[str, str]]:
    """The shift rule patrols asks by name (settings.SHIFT_READINESS_RULE): what in force at the site
    the guard has not acknowledged yet, as (label, link) pairs; empty: the shift may start."""
    return [
        (
            f"{version.plan.title} (version {version.number})",
            reverse("preparedness:plan", args=[version.plan.public_id]),
        )
        for version in pending_acknowledgements(user=guard).filter(plan__site=site)
    ]


@dataclass(frozen=True)
class AckRow:
    user: User
    at: datetime | None


def acknowledgement_rows(*, version: PlanVersion) -> list[AckRow]:
    """The site's assigned guards and when each acknowledged the version (None: not yet)."""
    guards = User.objects.filter(
        site_assignments__site_id=version.plan.site_id, membership__role="guard", is_active=True
    ).order_by("full_name")
    acks = dict(Acknowledgement.objects.filter(version=version).values_list("user_id", "at"))
    return [AckRow(user=guard, at=acks.get(guard.pk)) for guard in guards]


def plans_for_incident(*, incident: Incident, for_user: AnyUser) -> list[tuple[Plan, PlanVersion]]:
    """The ERPs of the incident's site that answer its category, in force, for the incident page."""
    if incident.category_id is None:
        return []
    plans = policy.visible_plans(for_user).filter(
        site_id=incident.site_id, kind=Plan.Kind.ERP, categories=incident.category_id
    )
    found = []
    for plan in plans:
        version = current_version(plan)
        if version is not None:
            found.append((plan, version))
    return found


# --- Drills -----------------------------------------------------------------------------------------


def list_drills(*, for_user: AnyUser) -> QuerySet[Drill]:
    return policy.visible_drills(for_user).select_related("site").order_by("-starts_at")


def get_drill(*, drill_id: uuid.UUID | str, for_user: AnyUser) -> Drill:
    drill = (
        policy.visible_drills(for_user)
        .select_related("site__provider", "site__agency", "scheduled_by")
        .filter(public_id=drill_id)
        .first()
    )
    if drill is None:
        raise Http404("No such drill.")
    return drill


def drill_incidents(drill: Drill) -> QuerySet[Incident]:
    """What was filed at the drill's site in its window as part of it (marked EXERCISE)."""
    return (
        Incident.objects.filter(
            site_id=drill.site_id,
            exercise=Exercise.EXERCISE,
            received_at__gte=drill.starts_at,
            received_at__lt=drill.ends_at,
        )
        .exclude(status=Incident.Status.DRAFT)
        .select_related("category", "reporter", "site")
        .order_by("received_at", "pk")
    )


def real_incidents_during(drill: Drill) -> QuerySet[Incident]:
    """Real events filed at the site during the drill (they stayed real)."""
    return Incident.objects.filter(
        site_id=drill.site_id,
        exercise=Exercise.REAL,
        received_at__gte=drill.starts_at,
        received_at__lt=drill.ends_at,
    ).order_by("received_at")


def drills_to_close(*, now: datetime) -> QuerySet[Drill]:
    return Drill.objects.filter(ends_at__lte=now, closed_at__isnull=True, cancelled_at__isnull=True)


# --- Briefings --------------------------------------------------------------------------------------


def list_briefings(*, for_user: AnyUser) -> QuerySet[Briefing]:
    return policy.visible_briefings(for_user).select_related("provider", "agency")


def get_briefing(*, briefing_id: uuid.UUID | str, for_user: AnyUser) -> Briefing:
    briefing = (
        policy.visible_briefings(for_user)
        .select_related("provider", "agency", "minutes_by")
        .prefetch_related(
            Prefetch("attendees", queryset=Attendee.objects.select_related("user")),
            Prefetch("decisions", queryset=Decision.objects.select_related("owner")),
            "sites",
        )
        .filter(public_id=briefing_id)
        .first()
    )
    if briefing is None:
        raise Http404("No such briefing.")
    return briefing


def list_actions(*, for_user: AnyUser) -> QuerySet[Decision]:
    """Briefing decisions that became corrective actions, of the briefings the user sees or owned by
    the user (each action's state is debriefs': its tag shows it beside the decision)."""
    if not for_user.is_authenticated:
        return Decision.objects.none()
    return (
        Decision.objects.filter(
            Q(briefing__in=policy.visible_briefings(for_user)) | Q(owner_id=for_user.pk),
            status=Decision.Status.OPEN,
        )
        .select_related("owner", "briefing")
        .order_by("due_date", "pk")
        .distinct()
    )


@dataclass(frozen=True)
class TrendRow:
    week: datetime
    category: str
    count: int


def trend_summary(*, sites: QuerySet[Site], weeks: int = 4, now: datetime | None = None) -> list[TrendRow]:
    """Counts of real reports by category and week at the sites, over the last ``weeks`` weeks
    (drills never count)."""
    since = (now or timezone.now()) - timedelta(weeks=weeks)
    rows = (
        Incident.objects.filter(site__in=sites, received_at__gte=since)
        .exclude(status=Incident.Status.DRAFT)
        .exclude(exercise=Exercise.EXERCISE)
        .annotate(week=TruncWeek("received_at"))
        .values("week", "category__name")
        .annotate(count=Count("pk"))
        .order_by("-week", "-count", "category__name")
    )
    return [
        TrendRow(week=row["week"], category=row["category__name"] or "Uncategorised", count=row["count"])
        for row in rows
    ]


# --- Community events -------------------------------------------------------------------------------


def list_community_events(*, for_user: AnyUser) -> QuerySet[CommunityEvent]:
    return (
        policy.visible_community_events(for_user)
        .select_related("site", "provider", "agency")
        .annotate(registrations_now=Count("registrations", distinct=True))
    )


def get_community_event(*, event_id: uuid.UUID | str, for_user: AnyUser) -> CommunityEvent:
    event = (
        policy.visible_community_events(for_user)
        .select_related("site", "provider", "agency")
        .filter(public_id=event_id)
        .first()
    )
    if event is None:
        raise Http404("No such event.")
    return event


def get_public_event(*, event_id: uuid.UUID | str) -> CommunityEvent:
    """An event's public page: anyone, no sign-in (nothing of the residents is on it)."""
    event = (
        CommunityEvent.objects.select_related("site", "provider", "agency").filter(public_id=event_id).first()
    )
    if event is None:
        raise Http404("No such event.")
    return event


def seats_left(event: CommunityEvent) -> int:
    return max(event.capacity - event.registrations.count(), 0)


def events_with_data_to_delete(*, now: datetime, retention: timedelta) -> QuerySet[CommunityEvent]:
    return CommunityEvent.objects.filter(ends_at__lte=now - retention, residents_deleted_at__isnull=True)
