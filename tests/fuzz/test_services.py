"""The services that take a person's text: whatever unicode arrives, they either refuse it with a
ValidationError that says why (and store nothing), or store it and give back exactly what was sent
(less surrounding whitespace). Never another exception: that would be a 500, or a dead socket.
Run on SQLite here and on PostgreSQL in CI (which refuses NUL and caps each column's length)."""

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts import services as account_services
from accounts.models import Invitation, Role
from dispatch import services as dispatch_services
from incidents import services
from incidents.models import Category, Incident, TimelineEntry
from tests.factories import report
from tests.fuzz.strategies import text

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


def refused(error: ValidationError) -> None:
    assert error.messages
    assert all(message.strip() for message in error.messages)


@pytest.fixture
def escalated(world):
    incident = report(world.guard_a, world.a1)
    dispatch_services.escalate_incident(incident=incident, by=world.supervisor_a)
    return incident


@FUZZ
@given(
    narrative=text(),
    location=text(max_size=220),
    description=text(),
    name=text(max_size=220),
    contact=text(max_size=220),
    plate=text(max_size=30),
    vehicle=text(max_size=220),
)
def test_a_report_keeps_its_text_exactly_or_refuses_it(
    world, narrative, location, description, name, contact, plate, vehicle
):
    before = Incident.objects.count()
    try:
        with transaction.atomic():
            result = services.report_incident(
                reporter=world.guard_a,
                site=world.a1,
                idempotency_key=uuid.uuid4(),
                category=Category.objects.get(code="theft"),
                narrative=narrative,
                location=location,
                parties=[
                    services.PartyInput(role="witness", description=description, name=name, contact=contact)
                ],
                vehicles=[services.VehicleInput(plate=plate, description=vehicle)],
            )
    except ValidationError as error:
        refused(error)
        assert Incident.objects.count() == before
        return
    stored = Incident.objects.get(pk=result.incident.pk)
    assert (stored.narrative, stored.location) == (narrative.strip(), location.strip())
    party = stored.parties.get()
    assert (party.description, party.name, party.contact) == (
        description.strip(),
        name.strip(),
        contact.strip(),
    )
    stored_vehicle = stored.vehicles.get()
    assert (stored_vehicle.plate, stored_vehicle.description) == (plate.strip().upper(), vehicle.strip())


@FUZZ
@given(note=text())
def test_a_note_is_kept_exactly_or_refused(world, note):
    incident = Incident.objects.filter(reporter=world.guard_a).first() or report(world.guard_a, world.a1)
    notes = incident.timeline.filter(kind=TimelineEntry.Kind.NOTE_ADDED)
    before = notes.count()
    try:
        with transaction.atomic():
            entry = services.add_note(incident=incident, by=world.supervisor_a, text=note)
    except ValidationError as error:
        refused(error)
        assert notes.count() == before
        return
    assert TimelineEntry.objects.get(pk=entry.pk).data["text"] == note.strip()


@FUZZ
@given(message=text())
def test_a_message_is_kept_exactly_or_refused(world, escalated, message):
    messages = escalated.timeline.filter(kind=TimelineEntry.Kind.MESSAGE)
    before = messages.count()
    try:
        with transaction.atomic():
            entry = dispatch_services.post_message(incident=escalated, by=world.liaison_x, text=message)
    except ValidationError as error:
        refused(error)
        assert messages.count() == before
        return
    assert TimelineEntry.objects.get(pk=entry.pk).data["text"] == message.strip()


EMAILS = st.one_of(
    st.emails(),
    text(max_size=80),
    st.builds(
        lambda local, domain: f"{local}@{domain}",
        text(max_size=40),
        st.one_of(st.just("x.test"), text(max_size=40)),
    ),
)


@FUZZ
@given(email=EMAILS)
def test_an_invitation_goes_to_a_valid_address_or_is_refused(world, email):
    before = Invitation.objects.count()
    try:
        with transaction.atomic():
            invitation, _token = account_services.invite_member(
                invited_by=world.admin_a, organization=world.provider_a, email=email, role=Role.GUARD
            )
    except ValidationError as error:
        refused(error)
        assert Invitation.objects.count() == before
        return
    stored = Invitation.objects.get(pk=invitation.pk).email
    validate_email(stored)
    assert stored == email.strip().lower()
