"""Reads of incidents, already scoped by the access policy, with the joins each page needs."""

import uuid
from dataclasses import dataclass
from datetime import date

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import Prefetch, Q, QuerySet

from accounts.models import Site
from accounts.policy import AnyUser
from incidents import policy
from incidents.models import Category, CustodyEvent, Evidence, Incident, TimelineEntry
from incidents.search import SEARCH_CONFIG
from portal import zones

SORTS = {
    "newest": ("-received_at", "-pk"),
    "oldest": ("received_at", "pk"),
    "severity": ("severity", "-received_at", "-pk"),
    "reference": ("reference",),
}


@dataclass(frozen=True)
class IncidentFilters:
    site: int | None = None
    status: str | None = None
    severity: int | None = None
    category: int | None = None
    reporter: int | None = None
    received_from: date | None = None
    received_to: date | None = None
    text: str = ""
    sort: str = "newest"


def list_incidents(*, for_user: AnyUser, filters: IncidentFilters | None = None) -> QuerySet[Incident]:
    """Incidents the user may see, filtered, searched and sorted, with site, category and reporter."""
    filters = filters or IncidentFilters()
    incidents = policy.visible_incidents(for_user).select_related("site", "category", "reporter")
    exact = {
        "site_id": filters.site,
        "status": filters.status,
        "severity": filters.severity,
        "category_id": filters.category,
        "reporter_id": filters.reporter,
    }
    incidents = incidents.filter(**{key: value for key, value in exact.items() if value is not None})
    if filters.received_from or filters.received_to:
        incidents = incidents.filter(
            received_on_site_days("received_at", since=filters.received_from, until=filters.received_to)
        )
    if filters.text.strip():
        incidents = search(incidents, filters.text)
    return incidents.order_by(*SORTS.get(filters.sort, SORTS["newest"]))


def received_on_site_days(field: str, *, since: date | None, until: date | None) -> Q:
    """The site-day rule: ``field`` falls on the days since..until as the calendar reads at each
    incident's own site (its midnight, not UTC's), however many zones the list spans."""
    names = Site.objects.order_by().values_list("time_zone", flat=True).distinct()
    return zones.within_local_days(
        field, since=since, until=until, groups=[(name, Q(site__time_zone=name)) for name in names]
    )


def search(incidents: QuerySet[Incident], text: str) -> QuerySet[Incident]:
    """Full-text search over reference, narrative, place, parties and vehicles.

    PostgreSQL matches the GIN-indexed ``to_tsvector('english', search_document)`` (the document
    holds the reference, so WP-2026-000123 finds its incident); SQLite falls back to a
    case-insensitive LIKE per word.
    """
    text = text.strip()[:200]
    if connection.vendor == "postgresql":
        vector = SearchVector("search_document", config=SEARCH_CONFIG)
        query = SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")
        return incidents.annotate(search=vector).filter(search=query)
    words = Q()
    for word in text.split():
        words &= Q(search_document__icontains=word)
    return incidents.filter(words)


def get_incident(*, incident_id: uuid.UUID | str, for_user: AnyUser) -> Incident:
    """One incident the user may see, by its public id, or Incident.DoesNotExist."""
    return (
        policy.visible_incidents(for_user)
        .select_related("site", "site__provider", "site__agency", "category", "reporter")
        .prefetch_related("parties", "vehicles")
        .get(public_id=incident_id)
    )


def list_timeline(*, incident: Incident) -> QuerySet[TimelineEntry]:
    """The incident's timeline, oldest first (the caller already holds a visible incident)."""
    return incident.timeline.select_related("actor").order_by("at", "pk")


def list_triage_queue(*, for_user: AnyUser) -> QuerySet[Incident]:
    """Submitted reports waiting for a supervisor, most severe and oldest first."""
    return (
        policy.visible_incidents(for_user)
        .filter(status=Incident.Status.SUBMITTED)
        .select_related("site", "category", "reporter")
        .order_by("severity", "submitted_at", "pk")
    )


def list_drafts(*, for_user: AnyUser) -> QuerySet[Incident]:
    """The user's own unsent drafts and reports sent back for more information."""
    return (
        policy.visible_incidents(for_user)
        .filter(reporter_id=for_user.pk, status__in=policy.REPORTER_EDITABLE)
        .select_related("site", "category")
        .order_by("-updated_at")
    )


def list_categories() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True)


def list_evidence(*, incident: Incident) -> QuerySet[Evidence]:
    """Evidence of a visible incident, newest version last, with uploader and custody log."""
    custody = CustodyEvent.objects.select_related("actor").order_by("at", "pk")
    return (
        incident.evidence.select_related("uploaded_by")
        .prefetch_related(Prefetch("custody", queryset=custody))
        .order_by("uploaded_at", "pk")
    )


def get_evidence(*, evidence_id: uuid.UUID | str, for_user: AnyUser) -> Evidence:
    """One evidence item whose incident the user may see, or Evidence.DoesNotExist."""
    return (
        policy.visible_evidence(for_user)
        .select_related("incident", "incident__site", "uploaded_by", "supersedes")
        .get(public_id=evidence_id)
    )
