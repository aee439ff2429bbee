"""Reads of incidents, already scoped by the access policy, with the joins each page needs."""

import re
import uuid
from dataclasses import dataclass, replace
from datetime import date, timedelta

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import Case, Count, F, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from accounts.models import Site
from accounts.policy import AnyUser
from incidents import disclosure, policy
from incidents.models import (
    NAME_KEY,
    PANIC_CATEGORY,
    PLATE_KEY,
    Category,
    CustodyEvent,
    Evidence,
    Incident,
    IncidentShare,
    InvolvedParty,
    TimelineEntry,
    Vehicle,
)
from incidents.search import SEARCH_CANDIDATES, SEARCH_CONFIG
from portal import keyset, zones

# The keyset of each order (the last key unique); "newest" walks incident_provider_received.
SORT_KEYS = {
    "newest": (keyset.Key("received_at", descending=True), keyset.Key("pk", descending=True)),
    "oldest": (keyset.Key("received_at"), keyset.Key("pk")),
    "severity": (
        keyset.Key("severity", nullable=True),
        keyset.Key("received_at", descending=True),
        keyset.Key("pk", descending=True),
    ),
    "reference": (keyset.Key("reference"),),
}
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
    drills: str = "hide"


# Drill (EXERCISE) incidents in lists: hidden unless asked for, so a drill is never read as real.
DRILL_CHOICES = {"hide": "Hide drills", "include": "Include drills", "only": "Only drills"}


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
    if filters.drills == "only":
        incidents = incidents.filter(exercise=Incident.Exercise.EXERCISE)
    elif filters.drills != "include":
        incidents = incidents.exclude(exercise=Incident.Exercise.EXERCISE)
    if filters.received_from or filters.received_to:
        incidents = incidents.filter(
            received_on_site_days("received_at", since=filters.received_from, until=filters.received_to)
        )
    if filters.text.strip():
        incidents = search(incidents, filters.text, reader=disclosure.reader_of(for_user))
    return incidents.order_by(*SORTS.get(filters.sort, SORTS["newest"]))


def received_on_site_days(field: str, *, since: date | None, until: date | None) -> Q:
    """The site-day rule: ``field`` falls on the days since..until as the calendar reads at each
    incident's own site (its midnight, not UTC's), however many zones the list spans."""
    names = Site.objects.order_by().values_list("time_zone", flat=True).distinct()
    return zones.within_local_days(
        field, since=since, until=until, groups=[(name, Q(site__time_zone=name)) for name in names]
    )


def list_own_open_incidents(*, for_user: AnyUser, limit: int = 10) -> list[Incident]:
    """The user's own reports that are not closed: those waiting for them (more information asked,
    then drafts) first, then the newest."""
    waiting = Case(
        When(status=Incident.Status.NEEDS_INFO, then=Value(0)),
        When(status=Incident.Status.DRAFT, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return list(
        policy.visible_incidents(for_user)
        .filter(reporter_id=getattr(for_user, "pk", None))
        .exclude(status=Incident.Status.CLOSED)
        .select_related("site", "category", "reporter")
        .order_by(waiting, "-received_at", "-pk")[:limit]
    )


def search(
    incidents: QuerySet[Incident], text: str, *, reader: disclosure.Reader = disclosure.PROVIDER
) -> QuerySet[Incident]:
    """Full-text matches among ``incidents``: reference, narrative, place, parties and vehicles.

    PostgreSQL matches the stored ``search_vector`` (GIN-indexed with the provider, so the tenant
    filter and the text are one index); SQLite falls back to a case-insensitive LIKE per word. An
    agency's search looks only in the reference, the place and the narrative: the document holds
    parties' names and internal parties, which it must not find an incident by.
    """
    text = text.strip()[:200]
    if reader.is_agency:
        return incidents.filter(_agency_words(text))
    if connection.vendor == "postgresql":
        return incidents.filter(search_vector=_query(text))
    words = Q()
    for word in text.split():
        words &= Q(search_document__icontains=word)
    return incidents.filter(words)


def _agency_words(text: str) -> Q:
    words = Q()
    for word in text.split():
        words &= Q(reference__icontains=word) | Q(narrative__icontains=word) | Q(location__icontains=word)
    return words


def _query(text: str) -> SearchQuery:
    return SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")


REFERENCE = re.compile(r"^WP-\d{4}-\d{6}$", re.IGNORECASE)
PLATE = re.compile(r"^(?=.*\d)(?=.*[A-Z])[A-Z0-9 -]{2,10}$", re.IGNORECASE)


def exact_matches(incidents: QuerySet[Incident], text: str) -> QuerySet[Incident] | None:
    """Those of ``incidents`` a reference, a plate or a person's name names exactly (each through
    its own index), or None when the text is none of these."""
    text = " ".join(text.split())
    if REFERENCE.match(text):
        return incidents.filter(reference=text.upper())
    if PLATE.match(text):
        plate = text.replace(" ", "").replace("-", "").upper()
        vehicles = Vehicle.objects.alias(key=PLATE_KEY).filter(key=plate)
        return incidents.filter(pk__in=vehicles.values("incident_id"))
    if 2 <= len(text.split()) <= 4 and not any(ch.isdigit() for ch in text):
        parties = InvolvedParty.objects.alias(key=NAME_KEY).filter(key=text.lower())
        return incidents.filter(pk__in=parties.values("incident_id"))
    return None


def page_incidents(
    *, for_user: AnyUser, filters: IncidentFilters | None = None, cursor: str | None = None, size: int = 25
) -> keyset.Page:
    """One page of list_incidents, by keyset (a cursor, never an offset or a full count).

    A search answers with the exact matches of a reference, plate or name when there are any; else
    on PostgreSQL with the best-ranked of the newest SEARCH_CANDIDATES full-text matches (rank, then
    recency); on SQLite with its matches in the list's order.
    """
    filters = filters or IncidentFilters()
    text = filters.text.strip()[:200]
    listed = list_incidents(for_user=for_user, filters=replace(filters, text=""))
    keys = SORT_KEYS.get(filters.sort, SORT_KEYS["newest"])
    if not text:
        return keyset.paginate(listed, keys=keys, cursor=cursor, size=size)
    reader = disclosure.reader_of(for_user)
    if reader.is_agency:
        # An agency's lists are its shares (small): its own rule, no name, no search document.
        return keyset.paginate(search(listed, text, reader=reader), keys=keys, cursor=cursor, size=size)
    exact = exact_matches(listed, text)
    ranked_cursor = keyset.is_offset_cursor(cursor)
    if exact is not None and not ranked_cursor and exact.exists():
        return keyset.paginate(exact, keys=keys, cursor=cursor, size=size)
    if connection.vendor != "postgresql":
        return keyset.paginate(search(listed, text), keys=keys, cursor=cursor, size=size)
    query = _query(text)
    newest = search(listed, text).order_by("-received_at", "-pk").values("pk")[:SEARCH_CANDIDATES]
    ranked = (
        Incident.objects.filter(pk__in=newest)
        .select_related("site", "category", "reporter")
        .annotate(rank=SearchRank(F("search_vector"), query))
        .order_by("-rank", "-received_at", "-pk")
    )
    return keyset.paginate_offset(ranked, cursor=cursor, size=size, cap=SEARCH_CANDIDATES)


def get_incident(*, incident_id: uuid.UUID | str, for_user: AnyUser) -> Incident:
    """One incident the user may see, by its public id, or Incident.DoesNotExist."""
    return (
        policy.visible_incidents(for_user)
        .select_related("site", "site__provider", "site__agency", "category", "reporter")
        .prefetch_related("parties", "vehicles")
        .get(public_id=incident_id)
    )


def list_timeline(*, incident: Incident, for_user: AnyUser) -> QuerySet[TimelineEntry]:
    """The incident's timeline as the user may see it, oldest first (the caller already holds a
    visible incident): an agency's people never get an internal entry (incidents.disclosure)."""
    return disclosure.timeline(incident, disclosure.reader_of(for_user))


def list_parties(*, incident: Incident, for_user: AnyUser) -> list[disclosure.PartyView]:
    """The incident's parties as the user may see them: redacted for an agency by its profile."""
    return disclosure.parties(incident, disclosure.reader_of(for_user))


def list_shares(*, incident: Incident) -> QuerySet[IncidentShare]:
    """The agencies the incident was shared with: what, when, why, until when, and its end."""
    return incident.shares.select_related("agency", "ended_by").order_by("created_at", "pk")


def get_open_question(*, incident: Incident) -> TimelineEntry | None:
    """The supervisor's latest question while the report waits for more information, else None."""
    if incident.status != Incident.Status.NEEDS_INFO:
        return None
    return (
        incident.timeline.filter(kind=TimelineEntry.Kind.INFO_REQUESTED)
        .select_related("actor")
        .order_by("-at", "-pk")
        .first()
    )


def list_triage_queue(*, for_user: AnyUser) -> QuerySet[Incident]:
    """Submitted reports waiting for a supervisor, most severe and oldest first."""
    return (
        policy.visible_incidents(for_user)
        .filter(status=Incident.Status.SUBMITTED)
        .select_related("site", "category", "reporter")
        .order_by("severity", "submitted_at", "pk")
    )


def count_triage_queue(*, provider_id: int) -> int:
    """How many reports wait in a provider's triage queue (list_triage_queue's rows, for everyone
    of the provider at once: its supervisors all see the same queue)."""
    return Incident.objects.filter(provider_id=provider_id, status=Incident.Status.SUBMITTED).count()


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


def get_last_report_site_id(*, reporter: AnyUser) -> int | None:
    """The site of the user's latest report at a site they still report for, else None."""
    return (
        Incident.objects.filter(
            reporter_id=getattr(reporter, "pk", None), site__in=policy.reportable_sites(reporter)
        )
        .order_by("-received_at", "-pk")
        .values_list("site_id", flat=True)
        .first()
    )


# How far back the report form looks to put the most-used categories first.
CATEGORY_USE_WINDOW = timedelta(days=90)


def list_categories_by_use(*, for_user: AnyUser) -> QuerySet[Category]:
    """Active categories but the panic one, those most reported at the user's sites in the last 90
    days first (then in their usual order): the report form shows the first few and keeps the rest
    behind "more". The panic category is not offered at all (the panic bar is the only way)."""
    since = timezone.now() - CATEGORY_USE_WINDOW
    sites = policy.reportable_sites(for_user).values("pk")
    return (
        list_categories()
        .exclude(code=PANIC_CATEGORY)
        .annotate(
            uses=Count(
                "incidents",
                filter=Q(incidents__site__in=sites, incidents__received_at__gte=since)
                & ~Q(incidents__exercise=Incident.Exercise.EXERCISE),
            )
        )
        .order_by("-uses", "position", "name")
    )


def list_evidence(*, incident: Incident, for_user: AnyUser) -> QuerySet[Evidence]:
    """Evidence of a visible incident as the user may see it, newest version last, with uploader
    and custody log."""
    custody = CustodyEvent.objects.select_related("actor").order_by("at", "pk")
    return (
        disclosure.evidence(incident, disclosure.reader_of(for_user))
        .select_related("uploaded_by")
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


def list_stalled_thumbnails(*, older_than: timedelta) -> list[int]:
    """Photos whose thumbnail is still pending well after their upload (its task was lost)."""
    cutoff = timezone.now() - older_than
    pending = Evidence.objects.filter(thumbnail_status=Evidence.Preview.PENDING, uploaded_at__lt=cutoff)
    return list(pending.order_by("pk").values_list("pk", flat=True)[:500])


def list_stalled_redacted_previews(*, older_than: timedelta) -> list[int]:
    """Photos whose redacted copy is still pending well after the areas were saved (its task was lost)."""
    cutoff = timezone.now() - older_than
    pending = Evidence.objects.filter(redacted_status=Evidence.Preview.PENDING, redacted_at__lt=cutoff)
    return list(pending.order_by("pk").values_list("pk", flat=True)[:500])


# The escalation states in which the police are still on it (dispatch's open statuses, as its entries
# on the incident's timeline name them; tests/dispatch/test_close_confirmation.py holds them equal).
POLICE_OPEN = ("requested", "accepted", "dispatched", "on_scene")
POLICE_STATE_WORDS = {
    "requested": "requested, not accepted yet",
    "accepted": "accepted",
    "dispatched": "units dispatched",
    "on_scene": "on scene",
}


@dataclass
class PoliceResponse:
    agency: str
    state: str = "requested"
    panic: bool = False
    accepted: bool = False
    panic_cleared: bool = False

    @property
    def is_open(self) -> bool:
        return self.state in POLICE_OPEN

    @property
    def panic_active(self) -> bool:
        """As dispatch says: a panic stays active until a supervisor cleared it ("guard is safe")."""
        if not self.panic or self.state in ("cancelled", "rejected"):
            return False
        return not self.panic_cleared

    @property
    def state_words(self) -> str:
        return POLICE_STATE_WORDS.get(self.state, self.state.replace("_", " "))


def list_open_police_responses(*, incident: Incident) -> list[PoliceResponse]:
    """The incident's police responses still open, or with a panic still active, as its timeline
    records them (every escalation change is a timeline entry, so incidents need not ask dispatch)."""
    kinds = (TimelineEntry.Kind.ESCALATED, TimelineEntry.Kind.ESCALATION_UPDATED)
    responses: dict[str, PoliceResponse] = {}
    for entry in incident.timeline.filter(kind__in=kinds).order_by("pk"):
        data = entry.data or {}
        key = str(data.get("escalation", ""))
        if not key:
            continue
        response = responses.setdefault(key, PoliceResponse(agency=str(data.get("agency", ""))))
        if entry.kind == TimelineEntry.Kind.ESCALATED:
            response.panic = data.get("source") == "panic"
            continue
        response.state = str(data.get("new") or response.state)
        response.accepted = response.accepted or response.state == "accepted"
        response.panic_cleared = response.panic_cleared or data.get("panic") == "cleared"
    return [response for response in responses.values() if response.is_open or response.panic_active]
