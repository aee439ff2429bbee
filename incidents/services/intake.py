"""Filing a report: its reference, its first timeline entries and the document search looks in."""

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.models import Site, User
from incidents import events, policy
from incidents.models import Incident, InvolvedParty, ReferenceCounter, TimelineEntry, Vehicle
from incidents.search import search_text
from incidents.services.timeline import Step, add_timeline_entries
from incidents.services.validation import (
    PartyInput,
    VehicleInput,
    clean_fields,
    clean_party,
    clean_vehicle,
    require,
    require_complete,
)
from portal.realtime import publish_on_commit

Status = Incident.Status
Kind = TimelineEntry.Kind


NO_REPORTABLE_SITE = "Only guards and supervisors with a site file reports."


class ReportResult(NamedTuple):
    incident: Incident
    created: bool


def format_reference(year: int, number: int) -> str:
    """The radio-friendly reference of the year's ``number``-th incident, e.g. WP-2026-000123."""
    return f"WP-{year}-{number:06d}"


def next_reference(now: datetime) -> str:
    """The next radio-friendly reference of the year, e.g. WP-2026-000123, in one statement.

    Called before the report's transaction (report_incident), the counter's row is locked only for
    this statement and its commit, not for the whole report: it is the one row every report in the
    portal writes. On PostgreSQL that commit does not wait for the disk (synchronous_commit off for
    this one statement's transaction): the report's own commit, later in the same WAL, makes the
    number durable with the report that uses it, and a number no committed report uses may be lost
    in a crash without harm. A report that fails after drawing its number leaves a gap."""
    table = ReferenceCounter._meta.db_table
    source = "VALUES (%s, 1)"
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # Only for its own transaction (is_local): never for a caller's transaction around it.
        source = "SELECT %s, 1 FROM (SELECT set_config('synchronous_commit', 'off', true)) AS asynchronous"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (year, last) {source} "
            f"ON CONFLICT (year) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [now.year],
        )
        return format_reference(now.year, int(cursor.fetchone()[0]))


def search_document(incident: Incident) -> str:
    """The text full-text search looks in: reference, narrative, place, parties and vehicles."""
    return search_text(
        reference=incident.reference,
        location=incident.location,
        narrative=incident.narrative,
        # From the database, not a prefetched list that may predate the change being made.
        parties=InvolvedParty.objects.filter(incident_id=incident.pk).order_by("pk") if incident.pk else (),
        vehicles=Vehicle.objects.filter(incident_id=incident.pk).order_by("pk") if incident.pk else (),
    )


def refresh_search(incident: Incident) -> None:
    """Store the incident's search document again after its text, parties or vehicles changed (and
    forget the parties and vehicles the instance had prefetched: they are out of date)."""
    getattr(incident, "_prefetched_objects_cache", {}).pop("parties", None)
    getattr(incident, "_prefetched_objects_cache", {}).pop("vehicles", None)
    incident.search_document = search_document(incident)
    Incident.objects.filter(pk=incident.pk).update(search_document=incident.search_document)


def report_incident(
    *,
    reporter: User,
    site: Site,
    idempotency_key: uuid.UUID,
    submit: bool = True,
    device_time: datetime | None = None,
    parties: Iterable[PartyInput] = (),
    vehicles: Iterable[VehicleInput] = (),
    panic: bool = False,
    as_drill: bool = False,
    **fields: Any,
) -> ReportResult:
    """File a report (or keep it as a draft). A retry with the same key returns the first incident.
    Only the panic button (``panic=True``) files in the panic category. ``as_drill``: part of the
    drill running at the site (refused when none is); the drill rule marks it EXERCISE."""
    existing = Incident.objects.filter(reporter=reporter, idempotency_key=idempotency_key).first()
    if existing is not None:
        return ReportResult(existing, False)
    if not policy.reportable_sites(reporter).filter(pk=site.pk).exists():
        if policy.reportable_sites(reporter).exists():
            raise PermissionDenied("You can only report for the sites you work at.")
        raise PermissionDenied(NO_REPORTABLE_SITE)
    now = timezone.now()
    fields.setdefault("occurred_at", now)
    cleaned = clean_fields(fields, now=now, panic=panic)
    if cleaned.get("severity") is None and cleaned.get("category") is not None:
        cleaned["severity"] = cleaned["category"].default_severity
    cleaned["exercise"] = exercise_mark(reporter=reporter, site=site, as_drill=as_drill, panic=panic, at=now)
    clean_parties = [clean_party(p) for p in parties]
    clean_vehicles = [clean_vehicle(v) for v in vehicles]
    incident = Incident(
        site=site,
        provider_id=site.provider_id,
        reporter=reporter,
        idempotency_key=idempotency_key,
        status=Status.DRAFT,
        received_at=now,
        device_time=device_time,
        **cleaned,
    )
    if submit:
        require_complete(incident)
        incident.status = Status.SUBMITTED
        incident.submitted_at = now
    # Drawn outside the report's transaction when there is none around it (next_reference).
    incident.reference = next_reference(now)
    try:
        with transaction.atomic():
            _create(incident=incident, parties=clean_parties, vehicles=clean_vehicles)
    except IntegrityError:
        # A concurrent retry with the same key won the race: theirs is the one incident.
        existing = Incident.objects.filter(reporter=reporter, idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return ReportResult(existing, False)
    return ReportResult(incident, True)


def exercise_mark(*, reporter: User, site: Site, as_drill: bool, panic: bool, at: datetime) -> str:
    """The report's drill mark (Incident.Exercise), from the drill rule named in settings."""
    rule = getattr(settings, "INCIDENT_DRILL_RULE", "")
    if not rule:
        require(not as_drill or panic, "No drill is running at this site: file the report as real.")
        return Incident.Exercise.NONE
    return str(import_string(rule)(reporter=reporter, site=site, as_drill=as_drill, panic=panic, at=at))


def _create(*, incident: Incident, parties: list[PartyInput], vehicles: list[VehicleInput]) -> None:
    """Write what a report must: the incident (with its search document), its parties and vehicles,
    its first timeline entries with their audit records, and the event after commit."""
    reporter = incident.reporter
    incident.search_document = search_text(
        reference=incident.reference,
        location=incident.location,
        narrative=incident.narrative,
        parties=parties,
        vehicles=vehicles,
    )
    incident.save(force_insert=True)
    party_rows = InvolvedParty.objects.bulk_create(
        [InvolvedParty(incident=incident, **party.__dict__) for party in parties]
    )
    vehicle_rows = Vehicle.objects.bulk_create(
        [Vehicle(incident=incident, **vehicle.__dict__) for vehicle in vehicles]
    )
    # What was just written is what a reader would fetch: keep it for the response.
    _keep_related(incident, "parties", party_rows)
    _keep_related(incident, "vehicles", vehicle_rows)
    marks = {"exercise": incident.exercise} if incident.exercise else {}
    steps = [Step(Kind.CREATED, reporter, {"reference": incident.reference, **marks})]
    if incident.status == Status.SUBMITTED:
        steps.append(Step(Kind.SUBMITTED, reporter, {}))
    add_timeline_entries(incident=incident, steps=steps)
    if incident.status == Status.SUBMITTED:
        publish_on_commit(events.incident_changed(incident, name="incident.submitted", by=reporter))


def _keep_related(incident: Incident, name: str, rows: list[Any]) -> None:
    """Fill ``incident.<name>.all()`` with ``rows`` as a prefetch would, without a query."""
    queryset: QuerySet[Any] = getattr(incident, name).all()
    queryset._result_cache = rows
    queryset._prefetch_done = True  # type: ignore[attr-defined]
    cache = getattr(incident, "_prefetched_objects_cache", {})
    setattr(incident, "_prefetched_objects_cache", {**cache, name: queryset})  # noqa: B010
