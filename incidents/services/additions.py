"""What people add to a report as they learn more: notes, the people and the vehicles involved."""

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User
from incidents import policy
from incidents.models import Incident, InvolvedParty, TimelineEntry, Vehicle
from incidents.services.intake import refresh_search
from incidents.services.timeline import add_timeline_entry
from incidents.services.validation import (
    MAX_TEXT,
    PartyInput,
    VehicleInput,
    clean_party,
    clean_vehicle,
    require,
)
from portal.text import clean_text

Kind = TimelineEntry.Kind


@transaction.atomic
def add_note(*, incident: Incident, by: User, text: str, internal: bool = False) -> TimelineEntry:
    """Add a note to the incident's timeline; an internal one is never shown to an agency."""
    require(policy.can_contribute_to_incident(by, incident), "You may not add to this report.")
    text = clean_text(text, field="text", limit=MAX_TEXT, what="a note")
    if not text:
        raise ValidationError({"text": "Write the note first."})
    return add_timeline_entry(
        incident=incident, kind=Kind.NOTE_ADDED, actor=by, text=text, internal=bool(internal)
    )


@transaction.atomic
def add_party(*, incident: Incident, by: User, party: PartyInput) -> InvolvedParty:
    """Record a person involved (subject, victim, witness, reporting person, minor, other); an
    internal one, and its timeline entry, are never shown to an agency."""
    require(policy.can_contribute_to_incident(by, incident), "You may not add to this report.")
    clean = clean_party(party)
    created = InvolvedParty.objects.create(incident=incident, **clean.__dict__)
    add_timeline_entry(
        incident=incident,
        kind=Kind.PARTY_ADDED,
        actor=by,
        internal=clean.internal,
        party=created.pk,
        role=clean.role,
        description=clean.description,
    )
    refresh_search(incident)
    return created


@transaction.atomic
def add_vehicle(*, incident: Incident, by: User, vehicle: VehicleInput) -> Vehicle:
    """Record a vehicle involved."""
    require(policy.can_contribute_to_incident(by, incident), "You may not add to this report.")
    clean = clean_vehicle(vehicle)
    created = Vehicle.objects.create(incident=incident, **clean.__dict__)
    add_timeline_entry(
        incident=incident,
        kind=Kind.VEHICLE_ADDED,
        actor=by,
        vehicle=created.pk,
        plate=clean.plate,
        description=clean.description,
    )
    refresh_search(incident)
    return created
