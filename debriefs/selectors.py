"""Reads of debriefs and corrective actions, scoped by the access policy."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import Q, QuerySet

from accounts.models import Site, User
from accounts.policy import AnyUser
from debriefs import policy
from debriefs.intervals import DEFAULT_TARGETS, nearest_rank
from debriefs.models import CorrectiveAction, Debrief, Interval, ResponseTarget
from incidents.models import Incident
from portal import zones


def _with_incident(debriefs: QuerySet[Debrief]) -> QuerySet[Debrief]:
    return debriefs.select_related(
        "incident", "incident__site", "incident__category", "submitted_by", "approved_by"
    )


def get_debrief(*, debrief_id: uuid.UUID | str, for_user: AnyUser) -> Debrief:
    """One debrief version the user may see, or Debrief.DoesNotExist."""
    return _with_incident(policy.visible_debriefs(for_user)).get(public_id=debrief_id)


def list_versions(*, incident_id: int, for_user: AnyUser) -> QuerySet[Debrief]:
    return _with_incident(policy.visible_debriefs(for_user).filter(incident_id=incident_id)).order_by(
        "-version"
    )


def list_review_queue(*, for_user: AnyUser) -> QuerySet[Debrief]:
    """Submitted debriefs waiting for a supervisor other than their submitter, oldest first."""
    return (
        _with_incident(policy.visible_debriefs(for_user).filter(status=Debrief.Status.SUBMITTED))
        .exclude(submitted_by_id=for_user.pk)
        .order_by("submitted_at")
    )


def list_in_progress(*, for_user: AnyUser) -> QuerySet[Debrief]:
    """The supervisor's provider's debriefs being written (drafts, changes asked, submitted), newest
    drafted first; those waiting for this user's review are in the review queue instead."""
    queue = list_review_queue(for_user=for_user).values("pk")
    return (
        _with_incident(policy.debriefs_in_progress(for_user))
        .exclude(pk__in=queue)
        .order_by("-drafted_at", "-pk")
    )


def list_awaiting_agency(*, for_user: AnyUser) -> QuerySet[Debrief]:
    """Debriefs waiting for the liaison's agency's account, oldest drafted first."""
    return _with_incident(policy.debriefs_awaiting_agency(for_user)).order_by("drafted_at", "pk")


def list_library(*, for_user: AnyUser, text: str = "") -> QuerySet[Debrief]:
    """Approved debriefs (lessons learned), newest first, searched in their text."""
    debriefs = _with_incident(policy.visible_debriefs(for_user).filter(status=Debrief.Status.APPROVED))
    text = text.strip()[:200]
    if text:
        fields = ("summary", "strengths", "improvements", "agency_contribution", "incident__reference")
        if connection.vendor == "postgresql":
            vector = SearchVector(*fields, config="english")
            debriefs = debriefs.annotate(search=vector).filter(
                search=SearchQuery(text, config="english", search_type="websearch")
            )
        else:
            for word in text.split():
                match = Q()
                for name in fields:
                    match |= Q(**{f"{name}__icontains": word})
                debriefs = debriefs.filter(match)
    return debriefs.order_by("-approved_at")


def list_corrective_actions(*, for_user: AnyUser, overdue: bool = False) -> QuerySet[CorrectiveAction]:
    """Corrective actions the user may see (overdue ones: past due and not done), soonest due first."""
    actions = policy.visible_corrective_actions(for_user).select_related(
        "incident", "incident__site", "owner__membership__organization"
    )
    if overdue:
        # Past due where the incident happened: each action's day ends at its site's midnight (a
        # briefing's action, at midnight in the zone it was given).
        names = set(Site.objects.order_by().values_list("time_zone", flat=True).distinct())
        names |= set(
            CorrectiveAction.objects.filter(incident__isnull=True)
            .order_by()
            .values_list("time_zone", flat=True)
            .distinct()
        )
        groups = [
            (name, Q(incident__site__time_zone=name) | Q(incident__isnull=True, time_zone=name))
            for name in sorted(names)
        ]
        actions = actions.filter(zones.before_local_today("due_date", groups=groups)).exclude(
            status=CorrectiveAction.Status.DONE
        )
    return actions.order_by("due_date", "pk")


def list_action_owners(*, incident: Incident) -> QuerySet[User]:
    """Who may be offered as a corrective action's owner, by name: the provider's active people and
    those of every agency the incident was escalated to (the police's side owns actions too)."""
    agencies = incident.escalations.values("agency_id")
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(membership__organization_id=incident.site.provider_id)
            | Q(membership__organization_id__in=agencies)
        )
        .order_by("full_name")
    )


# The police's intervals, measured on the escalation's own stamps (each escalation its own row).
POLICE_SPANS = (
    (Interval.ACCEPTANCE, "requested_at", "accepted_at"),
    (Interval.ARRIVAL, "accepted_at", "on_scene_at"),
    (Interval.CLEARANCE, "on_scene_at", "cleared_at"),
)
STAMPS = ("requested_at", "accepted_at", "on_scene_at", "cleared_at")
GROUPINGS = ("site", "agency", "category", "month")


@dataclass(frozen=True)
class ResponseFigure:
    """One interval in one group: its median and 90th percentile, against its target.

    ``target`` and ``percentile`` are the group's when all its escalations share one (else None and
    ``targets_vary``); ``within`` counts the escalations within their own target, of ``measured``
    (those that have a target)."""

    group: str
    interval: str
    label: str
    count: int
    p50: float | None
    p90: float | None
    target: int | None
    percentile: int | None
    targets_vary: bool
    measured: int
    within: int

    @property
    def share(self) -> float | None:
        return round(100 * self.within / self.measured, 1) if self.measured else None

    @property
    def met(self) -> bool | None:
        if self.share is None or self.percentile is None:
            return None
        return self.share >= self.percentile


def _target_for(
    interval: str, site_id: int, agency_id: int, targets: dict[tuple[str, str, int | None], ResponseTarget]
) -> tuple[int, int] | None:
    """The site's target, else the agency's, else the default (for 90 %): (seconds, percentile)."""
    for scope, key in (("site", site_id), ("agency", agency_id)):
        found = targets.get((interval, scope, key))
        if found is not None:
            return found.seconds, found.percentile
    default = DEFAULT_TARGETS.get(interval)
    return (default, 90) if default is not None else None


def get_response_times(*, for_user: AnyUser, since: datetime, by: str = "site") -> list[ResponseFigure]:
    """p50 and p90 of each police interval per site, agency, category or month (the site's month),
    against the targets (site, else agency, else the defaults), with the share within target.

    A cancelled escalation counts only the intervals it reached."""
    if by not in GROUPINGS:
        raise ValueError(f"Group by one of: {', '.join(GROUPINGS)}.")
    rows = (
        policy.response_escalations(for_user)
        .filter(requested_at__gte=since)
        .values_list(
            "incident__site_id",
            "incident__site__name",
            "incident__site__time_zone",
            "agency_id",
            "agency__name",
            "incident__category__name",
            *STAMPS,
        )
    )
    targets = {
        (t.interval, "site" if t.site_id else "agency", t.site_id or t.agency_id): t
        for t in ResponseTarget.objects.all()
    }
    samples: dict[tuple[str, str], list[tuple[float, tuple[int, int] | None]]] = {}
    for row in rows.iterator(chunk_size=2000):
        site_id, site, zone_name, agency_id, agency, category = row[:6]
        stamps = dict(zip(STAMPS, row[6:], strict=True))
        if by == "month":
            group = stamps["requested_at"].astimezone(zones.zone(zone_name)).strftime("%Y-%m")
        else:
            group = {"site": site, "agency": agency, "category": category or "Uncategorized"}[by]
        for interval, start, end in POLICE_SPANS:
            if stamps[start] is None or stamps[end] is None:
                continue
            seconds = (stamps[end] - stamps[start]).total_seconds()
            target = _target_for(interval, site_id, agency_id, targets)
            samples.setdefault((group, interval), []).append((seconds, target))
    figures = []
    order: dict[str, int] = {str(name): n for n, (name, _, _) in enumerate(POLICE_SPANS)}
    for (group, key), values in sorted(samples.items(), key=lambda item: (item[0][0], order[item[0][1]])):
        ordered = sorted(seconds for seconds, _ in values)
        kinds = {target for _, target in values if target is not None}
        with_target = [(seconds, target) for seconds, target in values if target is not None]
        single = next(iter(kinds)) if len(kinds) == 1 else None
        figures.append(
            ResponseFigure(
                group=group,
                interval=key,
                label=Interval(key).label,
                count=len(values),
                p50=nearest_rank(ordered, 50),
                p90=nearest_rank(ordered, 90),
                target=single[0] if single else None,
                percentile=single[1] if single else None,
                targets_vary=len(kinds) > 1,
                measured=len(with_target),
                within=sum(1 for seconds, target in with_target if seconds <= target[0]),
            )
        )
    return figures


@dataclass(frozen=True)
class PartnershipActions:
    """A partnership's corrective actions not done: how many, and how many past due."""

    open: int
    overdue: int


def count_partnership_actions(*, provider_id: int, agency_id: int) -> PartnershipActions:
    """The corrective actions not yet done of the provider's incidents escalated to the agency
    (drills' too: their actions are real work), and those past due on their site's calendar.
    Counts only: the scorecard of the partnership shows them to both sides."""
    actions = CorrectiveAction.objects.filter(
        incident__site__provider_id=provider_id,
        incident__escalations__agency_id=agency_id,
    ).exclude(status=CorrectiveAction.Status.DONE)
    names = (
        Site.objects.filter(provider_id=provider_id).order_by().values_list("time_zone", flat=True).distinct()
    )
    groups = [(name, Q(incident__site__time_zone=name)) for name in names]
    ids = set(actions.values_list("pk", flat=True))
    overdue = set(
        actions.filter(zones.before_local_today("due_date", groups=groups)).values_list("pk", flat=True)
    )
    return PartnershipActions(open=len(ids), overdue=len(overdue))
