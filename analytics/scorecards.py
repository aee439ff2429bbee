"""The partnership scorecard's reads: how one provider and one agency work together, month by month.

Made only of the escalations the provider opened to that agency (never another provider's, never a
drill's), counted on each site's own calendar; counts and durations only, never a name. The
corrective actions (debriefs) and the patrol figures (patrols) are those apps' template tags on the
same page and PDF, since analytics stands beside them, not above them.

Colour bands follow Securitime's vendor scorecard: green at 97 % or more, amber from 80 % to under
97 %, red under 80 %; each band is shown with its word, never by colour alone.
"""

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Exists, OuterRef, QuerySet

from accounts.models import Partnership
from accounts.policy import AnyUser
from analytics import policy
from dispatch.models import Escalation, RejectionCause
from incidents.models import Evidence, Incident
from portal import zones

MONTHS_SHOWN = 6
GREEN_FROM, AMBER_FROM = 97.0, 80.0
FALSE_ALARM = "False alarm"  # how dispatch words the cancel of a panic the guard pressed by mistake


@dataclass(frozen=True)
class Band:
    """A percentage's band: its colour's name (for the stylesheet) and the word said with it."""

    colour: str
    word: str


def band(percent: float | None) -> Band | None:
    if percent is None:
        return None
    if percent >= GREEN_FROM:
        return Band("green", "Green: on target (97 % or more)")
    if percent >= AMBER_FROM:
        return Band("amber", "Amber: below target (80 % to under 97 %)")
    return Band("red", "Red: well below target (under 80 %)")


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _nearest_rank(ordered: list[float], percentile: int) -> float | None:
    """The nearest-rank percentile (as the response-time figures use): the smallest value with at
    least ``percentile`` % of the values at or below it."""
    if not ordered:
        return None
    return ordered[max(1, math.ceil(percentile * len(ordered) / 100)) - 1]


def month_start(day: date, back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def month_end(first: date) -> date:
    return month_start(first, -1) - timedelta(days=1)


@dataclass
class Scorecard:
    partnership: Partnership
    month: date  # the month the figures are of (its first day)
    first: date = field(init=False)
    last: date = field(init=False)
    months: list[tuple[date, int]] = field(default_factory=list)  # escalations per month, oldest first
    escalations: int = 0
    accepted: int = 0
    rejected: int = 0
    cancelled_before_decision: int = 0
    causes: list[tuple[str, int]] = field(default_factory=list)
    accept_p50: float | None = None
    accept_p90: float | None = None
    with_evidence: int = 0
    panics: int = 0
    false_alarms: int = 0

    def __post_init__(self) -> None:
        self.first, self.last = self.month, month_end(self.month)

    @property
    def decided(self) -> int:
        return self.accepted + self.rejected

    @property
    def acceptance_percent(self) -> float | None:
        return _percent(self.accepted, self.decided)

    @property
    def acceptance_band(self) -> Band | None:
        return band(self.acceptance_percent)

    @property
    def evidence_percent(self) -> float | None:
        return _percent(self.with_evidence, self.escalations)

    @property
    def evidence_band(self) -> Band | None:
        return band(self.evidence_percent)

    @property
    def busiest_month(self) -> tuple[date, int] | None:
        return max(self.months, key=lambda m: m[1]) if any(n for _, n in self.months) else None


def get_partnership(*, partnership_id: int, for_user: AnyUser) -> Partnership:
    """One partnership whose scorecard the user sees, or Partnership.DoesNotExist."""
    return policy.visible_partnerships(for_user).select_related("provider", "agency").get(pk=partnership_id)


def list_partnerships(*, for_user: AnyUser) -> list[Partnership]:
    return list(
        policy.visible_partnerships(for_user)
        .select_related("provider", "agency")
        .order_by("provider__name", "agency__name")
    )


def partnership_escalations(partnership: Partnership) -> QuerySet[Escalation]:
    """Every escalation of the pair: this provider's incidents to this agency, drills left out."""
    return Escalation.objects.filter(
        provider_id=partnership.provider_id, agency_id=partnership.agency_id
    ).exclude(incident__exercise=Incident.Exercise.EXERCISE)


def get_scorecard(*, partnership: Partnership, month: date) -> Scorecard:
    """The pair's figures for ``month`` (each escalation on its site's calendar), with the
    escalations of the MONTHS_SHOWN months to it. The caller has checked the partnership is visible."""
    month = month.replace(day=1)
    card = Scorecard(partnership=partnership, month=month)
    oldest = month_start(month, MONTHS_SHOWN - 1)
    # A day either side in UTC: every zone's month lies within it; the site's calendar decides.
    since = datetime.combine(oldest - timedelta(days=1), datetime.min.time(), tzinfo=zones.zone("UTC"))
    until = datetime.combine(card.last + timedelta(days=2), datetime.min.time(), tzinfo=zones.zone("UTC"))
    rows = (
        partnership_escalations(partnership)
        .filter(requested_at__gte=since, requested_at__lt=until)
        .annotate(evidence=Exists(Evidence.objects.filter(incident_id=OuterRef("incident_id"))))
        .values_list(
            "requested_at",
            "incident__site__time_zone",
            "status",
            "source",
            "accepted_at",
            "rejected_at",
            "rejection_cause",
            "cancel_reason",
            "evidence",
        )
    )
    per_month: Counter[date] = Counter()
    causes: Counter[str] = Counter()
    waits: list[float] = []
    for (
        requested_at,
        zone_name,
        status,
        source,
        accepted_at,
        rejected_at,
        cause,
        cancel_reason,
        evidence,
    ) in rows.iterator(chunk_size=2000):
        day = requested_at.astimezone(zones.zone(zone_name)).date()
        if not oldest <= day <= card.last:
            continue
        per_month[day.replace(day=1)] += 1
        if day < month:
            continue
        card.escalations += 1
        card.with_evidence += bool(evidence)
        if accepted_at is not None:
            card.accepted += 1
            waits.append((accepted_at - requested_at).total_seconds())
        elif status == Escalation.Status.REJECTED or rejected_at is not None:
            card.rejected += 1
            causes[RejectionCause(cause).label if cause else "No cause given"] += 1
        elif status == Escalation.Status.CANCELLED:
            card.cancelled_before_decision += 1
        if source == Escalation.Source.PANIC:
            card.panics += 1
            if status == Escalation.Status.CANCELLED and cancel_reason.startswith(FALSE_ALARM):
                card.false_alarms += 1
    card.months = [
        (month_start(month, back), per_month[month_start(month, back)])
        for back in range(MONTHS_SHOWN - 1, -1, -1)
    ]
    card.causes = sorted(causes.items(), key=lambda item: (-item[1], item[0]))
    waits.sort()
    card.accept_p50, card.accept_p90 = _nearest_rank(waits, 50), _nearest_rank(waits, 90)
    return card
