import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from incidents import services
from incidents.models import Category, Incident, TimelineEntry
from tests.factories import report

Kind = TimelineEntry.Kind
Status = Incident.Status


@pytest.fixture
def theft(db):
    return Category.objects.get(code="theft")


def kinds(incident):
    return list(incident.timeline.order_by("pk").values_list("kind", flat=True))


def test_a_report_gets_a_radio_reference_both_times_and_its_first_entries(world, theft):
    device = timezone.now() - timedelta(seconds=3)
    occurred = timezone.now() - timedelta(minutes=5)
    result = services.report_incident(
        reporter=world.guard_a,
        site=world.a1,
        idempotency_key=uuid.uuid4(),
        category=theft,
        occurred_at=occurred,
        device_time=device,
        narrative="Two jackets taken",
        parties=[services.PartyInput(role="subject", description="Tall man, red cap", name="J. Doe")],
        vehicles=[services.VehicleInput(plate="ab12 cde", description="blue van")],
    )
    incident = result.incident
    assert result.created
    assert incident.reference == f"WP-{timezone.now().year}-000001"
    assert incident.status == Status.SUBMITTED
    assert incident.severity == theft.default_severity
    assert incident.occurred_at == occurred
    assert incident.device_time == device
    assert incident.received_at >= device
    assert kinds(incident) == [Kind.CREATED, Kind.SUBMITTED]
    assert incident.vehicles.get().plate == "AB12 CDE"
    assert "red cap" in incident.search_document
    assert report(world.guard_a, world.a1).reference.endswith("000002")


def test_the_same_idempotency_key_never_makes_two_incidents(world, theft):
    key = uuid.uuid4()
    first = services.report_incident(
        reporter=world.guard_a, site=world.a1, idempotency_key=key, category=theft
    )
    again = services.report_incident(
        reporter=world.guard_a, site=world.a1, idempotency_key=key, category=theft, narrative="retry"
    )
    assert first.created
    assert not again.created
    assert again.incident.pk == first.incident.pk
    assert Incident.objects.count() == 1
    assert TimelineEntry.objects.count() == 2


def test_a_draft_needs_no_category_but_sending_does(world):
    draft = services.report_incident(
        reporter=world.guard_a, site=world.a1, idempotency_key=uuid.uuid4(), submit=False
    ).incident
    assert draft.status == Status.DRAFT
    with pytest.raises(ValidationError) as caught:
        services.submit_incident(incident=draft, by=world.guard_a)
    assert set(caught.value.error_dict) == {"category", "severity"}
    services.update_incident(
        incident=draft, by=world.guard_a, expected_version=draft.version, category=Category.objects.first()
    )
    with pytest.raises(ValidationError):
        services.submit_incident(incident=draft, by=world.guard_a)
    draft.refresh_from_db()
    services.update_incident(incident=draft, by=world.guard_a, expected_version=draft.version, severity=2)
    sent = services.submit_incident(incident=draft, by=world.guard_a)
    assert sent.status == Status.SUBMITTED
    assert sent.submitted_at is not None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"severity": 7}, "severity"),
        ({"severity": "high"}, "severity"),
        ({"occurred_at": timezone.now() + timedelta(hours=2)}, "occurred_at"),
        ({"latitude": 91, "longitude": 0}, "latitude"),
        ({"latitude": 10}, "latitude"),
        ({"latitude": "x", "longitude": "y"}, "latitude"),
        ({"narrative": "x" * 20_001}, "narrative"),
        ({"category": 999_999}, "category"),
    ],
)
def test_bad_input_is_refused_with_the_field_and_nothing_is_written(world, theft, fields, field):
    fields = {"category": theft, **fields}
    with pytest.raises(ValidationError) as caught:
        services.report_incident(
            reporter=world.guard_a, site=world.a1, idempotency_key=uuid.uuid4(), **fields
        )
    assert field in caught.value.error_dict
    assert not Incident.objects.exists()
    assert not TimelineEntry.objects.exists()


def test_coordinates_are_kept(world, theft):
    incident = report(
        world.guard_a, world.a1, latitude="41.87811", longitude=-87.6298, location_accuracy_m=12.7
    )
    incident.refresh_from_db()
    assert (incident.latitude, incident.longitude, incident.location_accuracy_m) == (
        Decimal("41.878110"),
        Decimal("-87.629800"),
        12,
    )


@pytest.mark.parametrize(("who", "site"), [("guard_a", "a2"), ("guard_b", "a1"), ("liaison_x", "a1")])
def test_reports_only_for_ones_own_sites(world, theft, who, site):
    with pytest.raises(PermissionDenied):
        services.report_incident(
            reporter=getattr(world, who),
            site=getattr(world, site),
            idempotency_key=uuid.uuid4(),
            category=theft,
        )
    assert not Incident.objects.exists()


def test_each_edited_field_lands_on_the_timeline_with_old_and_new(world):
    incident = report(world.guard_a, world.a1, submit=False, narrative="first")
    services.update_incident(
        incident=incident,
        by=world.guard_a,
        expected_version=1,
        narrative="second",
        location="Gate 4",
        severity=3,
    )
    changes = {
        e.data["field"]: (e.data["old"], e.data["new"])
        for e in incident.timeline.filter(kind=Kind.FIELD_CHANGED)
    }
    assert changes == {"narrative": ("first", "second"), "location": ("", "Gate 4")}
    incident.refresh_from_db()
    assert incident.version == 2


def test_a_second_editor_gets_a_clear_conflict_instead_of_overwriting(world):
    incident = report(world.guard_a, world.a1)
    seen_by_both = incident.version
    services.update_incident(
        incident=incident, by=world.supervisor_a, expected_version=seen_by_both, narrative="supervisor's"
    )
    with pytest.raises(services.EditConflict, match="changed by .* after you opened it"):
        services.update_incident(
            incident=incident, by=world.supervisor_a, expected_version=seen_by_both, narrative="stale"
        )
    incident.refresh_from_db()
    assert incident.narrative == "supervisor's"


def test_who_may_edit(world):
    draft = report(world.guard_a, world.a1, submit=False)
    with pytest.raises(PermissionDenied):
        services.update_incident(incident=draft, by=world.supervisor_a, expected_version=None, narrative="x")
    sent = report(world.guard_a, world.a1)
    with pytest.raises(PermissionDenied):
        services.update_incident(incident=sent, by=world.guard_a, expected_version=None, narrative="x")
    with pytest.raises(PermissionDenied):
        services.update_incident(incident=sent, by=world.supervisor_b, expected_version=None, narrative="x")
    services.update_incident(incident=sent, by=world.supervisor_a, expected_version=None, narrative="ok")


def test_triage_lifecycle_lands_on_the_timeline(world):
    incident = report(world.guard_a, world.a1)
    services.request_more_information(incident=incident, by=world.supervisor_a, comment="Which exit?")
    incident.refresh_from_db()
    assert incident.status == Status.NEEDS_INFO
    services.update_incident(
        incident=incident, by=world.guard_a, expected_version=incident.version, location="East exit"
    )
    services.submit_incident(incident=incident, by=world.guard_a)
    services.accept_incident(incident=incident, by=world.supervisor_a)
    services.close_incident(incident=incident, by=world.supervisor_a, resolution="Police informed; CCTV kept")
    incident.refresh_from_db()
    assert incident.status == Status.CLOSED
    assert incident.closed_at is not None
    statuses = [
        (e.data["old"], e.data["new"])
        for e in incident.timeline.filter(kind=Kind.STATUS_CHANGED).order_by("pk")
    ]
    assert statuses == [
        ("submitted", "needs_info"),
        ("needs_info", "submitted"),
        ("submitted", "accepted"),
        ("accepted", "closed"),
    ]
    assert incident.timeline.get(kind=Kind.INFO_REQUESTED).data["comment"] == "Which exit?"


def test_invalid_transitions_and_missing_reasons_are_refused(world):
    incident = report(world.guard_a, world.a1)
    services.close_incident(incident=incident, by=world.supervisor_a, resolution="done")
    with pytest.raises(ValidationError, match="is closed; it cannot become accepted"):
        services.accept_incident(incident=incident, by=world.supervisor_a)
    other = report(world.guard_a, world.a1)
    with pytest.raises(ValidationError):
        services.close_incident(incident=other, by=world.supervisor_a, resolution="  ")
    with pytest.raises(ValidationError):
        services.request_more_information(incident=other, by=world.supervisor_a, comment="")
    other.refresh_from_db()
    assert other.status == Status.SUBMITTED


@pytest.mark.parametrize("who", ["guard_a", "admin_a", "supervisor_b", "liaison_x"])
def test_only_the_providers_supervisors_triage(world, who):
    incident = report(world.guard_a, world.a1)
    with pytest.raises(PermissionDenied):
        services.accept_incident(incident=incident, by=getattr(world, who))


def test_notes_parties_and_vehicles(world):
    incident = report(world.guard_a, world.a1)
    services.add_note(incident=incident, by=world.supervisor_a, text="CCTV requested")
    services.add_party(
        incident=incident, by=world.guard_a, party=services.PartyInput(role="witness", description="Cashier")
    )
    services.add_vehicle(
        incident=incident, by=world.guard_a, vehicle=services.VehicleInput(description="Red car")
    )
    assert kinds(incident)[-3:] == [Kind.NOTE_ADDED, Kind.PARTY_ADDED, Kind.VEHICLE_ADDED]
    incident.refresh_from_db()
    assert "Cashier" in incident.search_document
    with pytest.raises(ValidationError):
        services.add_note(incident=incident, by=world.guard_a, text=" ")
    with pytest.raises(PermissionDenied):
        services.add_note(incident=incident, by=world.guard_b, text="not mine")
    with pytest.raises(ValidationError):
        services.add_party(
            incident=incident, by=world.guard_a, party=services.PartyInput(role="boss", description="x")
        )


def test_events_reach_the_incident_group_only_after_commit(world, django_capture_on_commit_callbacks):
    layer = get_channel_layer()
    watcher = async_to_sync(layer.new_channel)()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        incident = report(world.guard_a, world.a1)
    async_to_sync(layer.group_add)(f"incident.{incident.public_id}", watcher)
    assert len(callbacks) == 1
    callbacks[0]()
    message = async_to_sync(layer.receive)(watcher)
    assert message == {
        "type": "event.message",
        "event": "incident.submitted",
        "payload": {
            "id": str(incident.public_id),
            "reference": incident.reference,
            "status": "submitted",
            "severity": incident.severity,
            "category": incident.category.name,
            "site": "A1",
            "version": 1,
        },
    }
    async_to_sync(layer.group_discard)(f"incident.{incident.public_id}", watcher)


def test_drafts_publish_nothing(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        report(world.guard_a, world.a1, submit=False)
    assert callbacks == []


def test_moving_a_report_to_another_site_is_for_its_editors_and_lands_on_the_timeline(world):
    incident = report(world.guard_a, world.a1)
    with pytest.raises(PermissionDenied):
        services.move_incident(
            incident=incident, by=world.guard_a, site=world.a2
        )  # sent: not the guard's now
    with pytest.raises(PermissionDenied):
        services.move_incident(incident=incident, by=world.supervisor_b, site=world.b1)
    moved = services.move_incident(incident=incident, by=world.supervisor_a, site=world.a2)
    assert moved.site == world.a2
    assert moved.version == incident.version + 1
    assert moved.timeline.filter(kind="field_changed", data__field="site").count() == 1
