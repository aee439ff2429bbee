"""Filing, editing and triaging incident reports. Every change lands on the timeline."""

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Site, User
from incidents import events, policy
from incidents.models import (
    Category,
    Incident,
    InvolvedParty,
    ReferenceCounter,
    Severity,
    TimelineEntry,
    Vehicle,
)
from incidents.search import search_text
from incidents.services.timeline import add_timeline_entry
from portal.realtime import publish_on_commit
from portal.text import clean_text

Status = Incident.Status
Kind = TimelineEntry.Kind

MAX_TEXT = 20_000
MAX_ACCURACY_M = 1_000_000  # a position known no better than to 1,000 km is no position
CLOCK_SKEW = timedelta(minutes=10)
EDITABLE_FIELDS = (
    "category",
    "severity",
    "occurred_at",
    "location",
    "latitude",
    "longitude",
    "location_accuracy_m",
    "narrative",
)


class EditConflict(ValidationError):
    """Someone else changed the incident since the editor loaded it (optimistic locking)."""


@dataclass(frozen=True)
class PartyInput:
    role: str
    description: str
    name: str = ""
    contact: str = ""


@dataclass(frozen=True)
class VehicleInput:
    description: str
    plate: str = ""


class ReportResult(NamedTuple):
    incident: Incident
    created: bool


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


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


def _clean(fields: Mapping[str, Any], *, now: datetime) -> dict[str, Any]:
    """Validate the editable fields given; return them normalised. Raises one ValidationError for all."""
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    for name, value in fields.items():
        if name not in EDITABLE_FIELDS:
            raise ValueError(f"{name} is not an editable incident field")
        try:
            cleaned[name] = _clean_field(name, value, now=now)
        except ValidationError as error:
            errors[name] = " ".join(error.messages)
    if ("latitude" in cleaned) != ("longitude" in cleaned) or (
        (cleaned.get("latitude") is None) != (cleaned.get("longitude") is None)
    ):
        errors.setdefault("latitude", "Give both latitude and longitude, or neither.")
    if errors:
        raise ValidationError(errors)
    return cleaned


def _clean_field(name: str, value: Any, *, now: datetime) -> Any:
    if name == "category":
        if value is None:
            return None
        category = value if isinstance(value, Category) else Category.objects.filter(pk=value).first()
        if category is None or not category.is_active:
            raise ValidationError("Choose one of the listed categories.")
        return category
    if name == "severity":
        if value in (None, ""):
            return None
        try:
            severity = int(value)
        except (TypeError, ValueError):
            raise ValidationError("Severity is 1 (life-threatening) to 4 (informational).") from None
        if severity not in Severity.values:
            raise ValidationError("Severity is 1 (life-threatening) to 4 (informational).")
        return severity
    if name == "occurred_at":
        if not isinstance(value, datetime) or timezone.is_naive(value):
            raise ValidationError("Give the date and time it happened, with its time zone.")
        if value > now + CLOCK_SKEW:
            raise ValidationError("The time it happened cannot be in the future.")
        return value
    if name in ("latitude", "longitude"):
        if value in (None, ""):
            return None
        limit = 90 if name == "latitude" else 180
        try:
            number = Decimal(str(value)).quantize(Decimal("0.000001"))
        except (InvalidOperation, ValueError):
            raise ValidationError(f"The {name} must be a number.") from None
        if not number.is_finite() or not -limit <= number <= limit:
            raise ValidationError(f"The {name} must lie between -{limit} and {limit}.")
        return number
    if name == "location_accuracy_m":
        if value in (None, ""):
            return None
        try:
            accuracy = int(float(value))
        except (TypeError, ValueError, OverflowError):
            raise ValidationError("The accuracy must be a whole number of metres.") from None
        if accuracy > MAX_ACCURACY_M:
            raise ValidationError(f"The accuracy must be at most {MAX_ACCURACY_M:,} metres.")
        return max(accuracy, 0)
    return clean_text(str(value or ""), field=name, limit=200 if name == "location" else MAX_TEXT)


def _require_complete(incident: Incident) -> None:
    errors = {}
    if incident.category_id is None:
        errors["category"] = "Choose a category before sending the report."
    if incident.severity is None:
        errors["severity"] = "Choose a severity before sending the report."
    if errors:
        raise ValidationError(errors)


def search_document(incident: Incident) -> str:
    """The text full-text search looks in: reference, narrative, place, parties and vehicles."""
    return search_text(
        reference=incident.reference,
        location=incident.location,
        narrative=incident.narrative,
        parties=incident.parties.all() if incident.pk else (),
        vehicles=incident.vehicles.all() if incident.pk else (),
    )


def _refresh_search(incident: Incident) -> None:
    incident.search_document = search_document(incident)
    Incident.objects.filter(pk=incident.pk).update(search_document=incident.search_document)


def _clean_party(party: PartyInput) -> PartyInput:
    if party.role not in InvolvedParty.Role.values:
        raise ValidationError({"parties": "A party is a subject, victim, witness or other."})
    description = clean_text(party.description, field="parties", limit=MAX_TEXT, what="a description")
    if not description:
        raise ValidationError({"parties": "Describe each person involved."})
    return PartyInput(
        role=party.role,
        description=description,
        name=clean_text(party.name, field="parties", limit=200, what="a name"),
        contact=clean_text(party.contact, field="parties", limit=200, what="a contact"),
    )


def _clean_vehicle(vehicle: VehicleInput) -> VehicleInput:
    description = clean_text(vehicle.description, field="vehicles", limit=200, what="a description")
    plate = clean_text(vehicle.plate.upper(), field="vehicles", limit=20, what="a plate")
    if not description and not plate:
        raise ValidationError({"vehicles": "Give a plate or a description for each vehicle."})
    return VehicleInput(description=description, plate=plate)


def report_incident(
    *,
    reporter: User,
    site: Site,
    idempotency_key: uuid.UUID,
    submit: bool = True,
    device_time: datetime | None = None,
    parties: Iterable[PartyInput] = (),
    vehicles: Iterable[VehicleInput] = (),
    **fields: Any,
) -> ReportResult:
    """File a report (or keep it as a draft). A retry with the same key returns the first incident."""
    existing = Incident.objects.filter(reporter=reporter, idempotency_key=idempotency_key).first()
    if existing is not None:
        return ReportResult(existing, False)
    _require(
        policy.reportable_sites(reporter).filter(pk=site.pk).exists(),
        "You can only report for the sites you work at.",
    )
    now = timezone.now()
    fields.setdefault("occurred_at", now)
    cleaned = _clean(fields, now=now)
    if cleaned.get("severity") is None and cleaned.get("category") is not None:
        cleaned["severity"] = cleaned["category"].default_severity
    clean_parties = [_clean_party(p) for p in parties]
    clean_vehicles = [_clean_vehicle(v) for v in vehicles]
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
        _require_complete(incident)
        incident.status = Status.SUBMITTED
        incident.submitted_at = now
    incident.save()
    InvolvedParty.objects.bulk_create(
        [InvolvedParty(incident=incident, **party.__dict__) for party in parties]
    )
    Vehicle.objects.bulk_create([Vehicle(incident=incident, **vehicle.__dict__) for vehicle in vehicles])
    _refresh_search(incident)
    add_timeline_entry(incident=incident, kind=Kind.CREATED, actor=reporter, reference=incident.reference)
    if submit:
        add_timeline_entry(incident=incident, kind=Kind.SUBMITTED, actor=reporter)
        publish_on_commit(events.incident_changed(incident, name="incident.submitted"))
    return incident


def _json(value: Any) -> Any:
    if isinstance(value, Category):
        return value.name
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _lock(incident: Incident, expected_version: int | None) -> Incident:
    """Re-read the incident under a row lock; refuse if it changed since the caller read it."""
    current = (
        Incident.objects.select_for_update(of=("self",))
        .select_related("site", "category")
        .get(pk=incident.pk)
    )
    if expected_version is not None and current.version != expected_version:
        last = current.timeline.order_by("-at", "-pk").select_related("actor").first()
        who = f" by {last.actor}" if last and last.actor else ""
        raise EditConflict(
            f"{current.reference} was changed{who} after you opened it. "
            "Reload to see their change, then make yours again.",
            code="conflict",
        )
    return current


def _bump(incident: Incident, **fields: Any) -> None:
    incident.version += 1
    for name, value in fields.items():
        setattr(incident, name, value)
    incident.save(update_fields=[*fields, "version", "updated_at"])


@transaction.atomic
def update_incident(
    *, incident: Incident, by: User, expected_version: int | None, **changes: Any
) -> Incident:
    """Change fields of a report; each changed field lands on the timeline with its old and new value."""
    current = _lock(incident, expected_version)
    _require(policy.can_edit_incident(by, current), "You may not change this report now.")
    cleaned = _clean(changes, now=timezone.now())
    changed = {name: value for name, value in cleaned.items() if getattr(current, name) != value}
    if not changed:
        return current
    old = {name: getattr(current, name) for name in changed}
    _bump(current, **changed)
    for name, value in changed.items():
        add_timeline_entry(
            incident=current,
            kind=Kind.FIELD_CHANGED,
            actor=by,
            field=name,
            old=_json(old[name]),
            new=_json(value),
        )
    _refresh_search(current)
    if current.status != Status.DRAFT:
        publish_on_commit(events.incident_changed(current, name="incident.updated"))
    return current


# Which status each triage action leads from and to. The one table of the incident's lifecycle.
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "submit": (frozenset({Status.DRAFT, Status.NEEDS_INFO}), Status.SUBMITTED),
    "accept": (frozenset({Status.SUBMITTED}), Status.ACCEPTED),
    "request_info": (frozenset({Status.SUBMITTED, Status.ACCEPTED}), Status.NEEDS_INFO),
    "close": (frozenset({Status.SUBMITTED, Status.ACCEPTED, Status.NEEDS_INFO}), Status.CLOSED),
}


def _transition(incident: Incident, *, action: str, by: User, **data: Any) -> Incident:
    sources, target = TRANSITIONS[action]
    if incident.status not in sources:
        raise ValidationError(
            f"{incident.reference} is {incident.get_status_display().lower()}; "
            f"it cannot become {Status(target).label.lower()}.",
            code="invalid_transition",
        )
    now = timezone.now()
    updates: dict[str, Any] = {"status": target}
    if target == Status.SUBMITTED and incident.submitted_at is None:
        updates["submitted_at"] = now
    if target == Status.CLOSED:
        updates["closed_at"] = now
    previous = incident.status
    _bump(incident, **updates)
    add_timeline_entry(
        incident=incident,
        kind=Kind.STATUS_CHANGED,
        actor=by,
        old=previous,
        new=target,
        **data,
    )
    publish_on_commit(events.incident_changed(incident, name="incident.status_changed"))
    return incident


@transaction.atomic
def submit_incident(*, incident: Incident, by: User, expected_version: int | None = None) -> Incident:
    """Send a draft (or a report sent back for more information) to the supervisors."""
    current = _lock(incident, expected_version)
    _require(policy.can_submit_incident(by, current), "Only the reporter sends their report.")
    _require_complete(current)
    first = current.status == Status.DRAFT
    _transition(current, action="submit", by=by)
    if first:
        add_timeline_entry(incident=current, kind=Kind.SUBMITTED, actor=by)
    return current


@transaction.atomic
def accept_incident(*, incident: Incident, by: User, expected_version: int | None = None) -> Incident:
    """A supervisor accepts a submitted report as valid."""
    current = _lock(incident, expected_version)
    _require(policy.can_triage_incident(by, current), "Only the provider's supervisors triage reports.")
    return _transition(current, action="accept", by=by)


@transaction.atomic
def request_more_information(
    *, incident: Incident, by: User, comment: str, expected_version: int | None = None
) -> Incident:
    """Send a report back to its reporter with a question."""
    current = _lock(incident, expected_version)
    _require(policy.can_triage_incident(by, current), "Only the provider's supervisors triage reports.")
    comment = clean_text(comment, field="comment", limit=MAX_TEXT, what="the question")
    if not comment:
        raise ValidationError({"comment": "Say what information is missing."})
    _transition(current, action="request_info", by=by, comment=comment)
    add_timeline_entry(incident=current, kind=Kind.INFO_REQUESTED, actor=by, comment=comment)
    return current


@transaction.atomic
def close_incident(
    *, incident: Incident, by: User, resolution: str, expected_version: int | None = None
) -> Incident:
    """Close a report with its resolution."""
    current = _lock(incident, expected_version)
    _require(policy.can_triage_incident(by, current), "Only the provider's supervisors close reports.")
    resolution = clean_text(resolution, field="resolution", limit=MAX_TEXT, what="the resolution")
    if not resolution:
        raise ValidationError({"resolution": "Say how the incident was resolved."})
    current.resolution = resolution
    current.save(update_fields=["resolution"])
    return _transition(current, action="close", by=by, resolution=current.resolution)


@transaction.atomic
def add_note(*, incident: Incident, by: User, text: str) -> TimelineEntry:
    """Add a note to the incident's timeline."""
    _require(policy.can_contribute_to_incident(by, incident), "You may not add to this report.")
    text = clean_text(text, field="text", limit=MAX_TEXT, what="a note")
    if not text:
        raise ValidationError({"text": "Write the note first."})
    return add_timeline_entry(incident=incident, kind=Kind.NOTE_ADDED, actor=by, text=text)


@transaction.atomic
def add_party(*, incident: Incident, by: User, party: PartyInput) -> InvolvedParty:
    """Record a person involved (subject, victim, witness, other)."""
    _require(policy.can_contribute_to_incident(by, incident), "You may not add to this report.")
    clean = _clean_party(party)
    created = InvolvedParty.objects.create(incident=incident, **clean.__dict__)
    add_timeline_entry(
        incident=incident,
        kind=Kind.PARTY_ADDED,
        actor=by,
        party=created.pk,
        role=clean.role,
        description=clean.description,
    )
    _refresh_search(incident)
    return created


@transaction.atomic
def add_vehicle(*, incident: Incident, by: User, vehicle: VehicleInput) -> Vehicle:
    """Record a vehicle involved."""
    _require(policy.can_contribute_to_incident(by, incident), "You may not add to this report.")
    clean = _clean_vehicle(vehicle)
    created = Vehicle.objects.create(incident=incident, **clean.__dict__)
    add_timeline_entry(
        incident=incident,
        kind=Kind.VEHICLE_ADDED,
        actor=by,
        vehicle=created.pk,
        plate=clean.plate,
        description=clean.description,
    )
    _refresh_search(incident)
    return created
