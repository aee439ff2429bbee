"""Reads for the live board and escalations, scoped by the access policy."""

import uuid
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from accounts.models import Site
from accounts.policy import AnyUser
from dispatch import policy
from dispatch.models import BoardEvent, Escalation
from incidents.models import Incident

REPLAY_LIMIT = 2_000

PANIC_ACTIVE = (
    Q(source=Escalation.Source.PANIC)
    & ~Q(status__in=[Escalation.Status.CANCELLED, Escalation.Status.REJECTED])
    & (Q(accepted_at__isnull=True) | Q(panic_cleared_at__isnull=True))
)


def _with_incident(escalations: QuerySet[Escalation]) -> QuerySet[Escalation]:
    return escalations.select_related("incident", "incident__site", "incident__category", "agency")


def list_board_escalations(*, for_user: AnyUser) -> QuerySet[Escalation]:
    """The agency's open escalations and active panics: panics first, then most severe, then oldest."""
    agency = policy.board_agency(for_user)
    if agency is None:
        return Escalation.objects.none()
    return (
        _with_incident(Escalation.objects.filter(agency=agency))
        .filter(Q(status__in=Escalation.OPEN) | PANIC_ACTIVE)
        .annotate(
            panic_rank=Case(When(PANIC_ACTIVE, then=Value(0)), default=Value(1), output_field=IntegerField())
        )
        .order_by("panic_rank", "incident__severity", "requested_at", "pk")
    )


def last_board_sequence(*, agency_id: int) -> int:
    last = (
        BoardEvent.objects.filter(agency_id=agency_id)
        .order_by("-sequence")
        .values_list("sequence", flat=True)
    )
    return last.first() or 0


def list_board_events_after(*, agency_id: int, after: int, limit: int = REPLAY_LIMIT) -> list[BoardEvent]:
    """The agency's board events numbered after ``after``, in order (the replay on reconnect)."""
    return list(
        BoardEvent.objects.filter(agency_id=agency_id, sequence__gt=after).order_by("sequence")[:limit]
    )


def get_escalation(*, escalation_id: uuid.UUID | str, for_user: AnyUser) -> Escalation:
    """One escalation the user may see, or Escalation.DoesNotExist."""
    return _with_incident(policy.visible_escalations(for_user)).get(public_id=escalation_id)


def list_incident_escalations(*, incident_id: int, for_user: AnyUser) -> QuerySet[Escalation]:
    return _with_incident(policy.visible_escalations(for_user).filter(incident_id=incident_id)).order_by(
        "-requested_at"
    )


def list_unchecked_reports(*, since: datetime) -> QuerySet[Incident, int]:
    """Ids of the reports submitted since ``since`` at sites with an active escalation rule whose
    rule never ran (its task was lost), oldest first: what the rules' sweep applies them to."""
    return (
        Incident.objects.filter(
            submitted_at__gte=since, site__escalation_rule__is_active=True, rule_check__isnull=True
        )
        .exclude(status=Incident.Status.DRAFT)
        .order_by("submitted_at")
        .values_list("pk", flat=True)
    )


def get_panic_site(*, guard: AnyUser, site_id: int | None) -> Site | None:
    """The site a panic names if it is one of the guard's, else PermissionDenied; None if it names none."""
    if site_id is None:
        return None
    site = policy.panic_sites(guard).filter(pk=site_id).first()
    if site is None:
        # Never another site in its place: help would be sent to the wrong premises.
        raise PermissionDenied(
            "You are not assigned to that site: the panic button sends only from your own sites."
        )
    return site
