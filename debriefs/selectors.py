"""Reads of debriefs and corrective actions, scoped by the access policy."""

import uuid

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import Q, QuerySet

from accounts.models import Site, User
from accounts.policy import AnyUser
from debriefs import policy
from debriefs.models import CorrectiveAction, Debrief
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
        "incident", "incident__site", "owner"
    )
    if overdue:
        # Past due where the incident happened: each action's day ends at its site's midnight.
        names = Site.objects.order_by().values_list("time_zone", flat=True).distinct()
        groups = [(name, Q(incident__site__time_zone=name)) for name in names]
        actions = actions.filter(zones.before_local_today("due_date", groups=groups)).exclude(
            status=CorrectiveAction.Status.DONE
        )
    return actions.order_by("due_date", "pk")


def list_action_owners(*, incident: Incident) -> QuerySet[User]:
    """Who may be offered as a corrective action's owner: the provider's active people, by name."""
    return User.objects.filter(
        is_active=True, membership__organization_id=incident.site.provider_id
    ).order_by("full_name")
