"""Filing a report: its reference, its first timeline entries and the document search looks in."""

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Site, User
from incidents import events, policy
from incidents.models import Incident, InvolvedParty, ReferenceCounter, TimelineEntry, Vehicle
from incidents.search import search_text
from incidents.services.timeline import add_timeline_entry
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


class ReportResult(NamedTuple):
    incident: Incident
    created: bool


def format_reference(year: int, number: int) -> str:
    """The radio-friendly reference of the year's ``number``-th incident, e.g. WP-2026-000123."""
    return f"WP-{year}-{number:06d}"


def next_reference(now: datetime) -> str:
    """The next radio-friendly reference of the year, e.g. WP-2026-000123 (call inside a transaction)."""
    year = now.year
    ReferenceCounter.objects.get_or_create(year=year)
    ReferenceCounter.objects.filter(year=year).update(last=F("last") + 1)
    counter = ReferenceCounter.objects.select_for_update().get(year=year)
    return format_reference(year, counter.last)


def search_document(incident: Incident) -> str:
    """The text full-text search looks in: reference, narrative, place, parties and vehicles."""
    return search_text(
        reference=incident.reference,
        location=incident.location,
        narrative=incident.narrative,
        parties=incident.parties.all() if incident.pk else (),
        vehicles=incident.vehicles.all() if incident.pk else (),
    )


def refresh_search(incident: Incident) -> None:
    """Store the incident's search document again after its text, parties or vehicles changed."""
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
    **fields: Any,
) -> ReportResult:
    """File a report (or keep it as a draft). A retry with the same key returns the first incident.
    Only the panic button (``panic=True``) files in the panic category."""
    existing = Incident.objects.filter(reporter=reporter, idempotency_key=idempotency_key).first()
    if existing is not None:
        return ReportResult(existing, False)
    require(
        policy.reportable_sites(reporter).filter(pk=site.pk).exists(),
        "You can only report for the sites you work at.",
    )
    now = timezone.now()
    fields.setdefault("occurred_at", now)
    cleaned = clean_fields(fields, now=now, panic=panic)
    if cleaned.get("severity") is None and cleaned.get("category") is not None:
        cleaned["severity"] = cleaned["category"].default_severity
    clean_parties = [clean_party(p) for p in parties]
    clean_vehicles = [clean_vehicle(v) for v in vehicles]
    try:
        with transaction.atomic():
            incident = _create(
                reporter=reporter,
                site=site,
                idempotency_key=idempotency_key,
                submit=submit,
                device_time=device_time,
                now=now,
                fields=cleaned,
                parties=clean_parties,
                vehicles=clean_vehicles,
            )
    except IntegrityError:
        # A concurrent retry with the same key won the race: theirs is the one incident.
        existing = Incident.objects.filter(reporter=reporter, idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return ReportResult(existing, False)
    return ReportResult(incident, True)


def _create(
    *,
    reporter: User,
    site: Site,
    idempotency_key: uuid.UUID,
    submit: bool,
    device_time: datetime | None,
    now: datetime,
    fields: dict[str, Any],
    parties: list[PartyInput],
    vehicles: list[VehicleInput],
) -> Incident:
    incident = Incident(
        reference=next_reference(now),
        site=site,
        reporter=reporter,
        idempotency_key=idempotency_key,
        status=Status.DRAFT,
        received_at=now,
        device_time=device_time,
        **fields,
    )
    if submit:
        require_complete(incident)
        incident.status = Status.SUBMITTED
        incident.submitted_at = now
    incident.save()
    InvolvedParty.objects.bulk_create(
        [InvolvedParty(incident=incident, **party.__dict__) for party in parties]
    )
    Vehicle.objects.bulk_create([Vehicle(incident=incident, **vehicle.__dict__) for vehicle in vehicles])
    refresh_search(incident)
    add_timeline_entry(incident=incident, kind=Kind.CREATED, actor=reporter, reference=incident.reference)
    if submit:
        add_timeline_entry(incident=incident, kind=Kind.SUBMITTED, actor=reporter)
        publish_on_commit(events.incident_changed(incident, name="incident.submitted", by=reporter))
    return incident
