"""Retention and legal hold (issue 21.5): each organization's periods decide what goes, closed
incidents only, never one on legal hold; each batch leaves a deletion-ledger row with its counts and
the hash of what went; files go with their rows; the dry run changes nothing."""

import hashlib
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent, DeletionLedger
from debriefs.models import Debrief
from dispatch import services as dispatch_services
from dispatch.models import Escalation
from incidents import services
from incidents.models import CustodyEvent, Evidence, Incident, TimelineEntry
from incidents.tasks import apply_retention_task
from portal.celery import app
from tests.factories import report
from tests.incidents.evidence_samples import ORIGIN, jpeg

YEAR = timedelta(days=365)


@pytest.fixture(autouse=True)
def _thumbnails_in_process(eager):
    """Thumbnails are made when the upload commits, so that each item has both files."""


def stored_files() -> set[Path]:
    root = Path(settings.EVIDENCE_ROOT)
    return {path for path in root.rglob("*") if path.is_file()} if root.exists() else set()


def files_of(evidence: Evidence) -> set[Path]:
    evidence.refresh_from_db()
    names = [evidence.file.name, evidence.thumbnail.name]
    assert all(names), "the case needs an original and a thumbnail"
    return {Path(evidence.file.storage.path(str(name))) for name in names}


def case(world, *, closed_ago: timedelta | None, site=None, guard=None, supervisor=None) -> SimpleNamespace:
    """A report with a photo (original and thumbnail), escalated, a message each way, then closed
    ``closed_ago`` (None: left open)."""
    site, guard, supervisor = site or world.a1, guard or world.guard_a, supervisor or world.supervisor_a
    c = SimpleNamespace()
    c.incident = report(guard, site)
    with TestCase.captureOnCommitCallbacks(execute=True):
        c.photo = services.add_evidence(
            incident=c.incident,
            by=guard,
            upload=SimpleUploadedFile("door.jpg", jpeg((64, 48)), "image/jpeg"),
            client_sha256=None,
            origin=ORIGIN,
        )
    c.escalation = dispatch_services.escalate_incident(incident=c.incident, by=supervisor, reason="On camera")
    c.messages = [
        dispatch_services.post_message(incident=c.incident, by=guard, text="He went towards the exit."),
        dispatch_services.post_message(incident=c.incident, by=supervisor, text="Officers on the way?"),
    ]
    c.files = files_of(c.photo)
    if closed_ago is not None:
        c.incident.refresh_from_db()
        # The closing's follow-ups run (its debrief is drafted), so that retention meets what other
        # apps keep about the incident.
        with TestCase.captureOnCommitCallbacks(execute=True):
            services.close_incident(
                incident=c.incident, by=supervisor, resolution="Handed to police", confirmed=True
            )
        Incident.objects.filter(pk=c.incident.pk).update(closed_at=timezone.now() - closed_ago)
    c.incident.refresh_from_db()
    return c


def exists(incident: Incident) -> bool:
    return Incident.objects.filter(pk=incident.pk).exists()


def test_closed_incidents_past_retention_go_with_everything_and_the_rest_stays(world):
    old = case(world, closed_ago=4 * YEAR)
    # Every file the old case stored: its photo's original and thumbnail, its debrief's PDF.
    old_files = stored_files()
    assert len(old_files) >= 3, old_files
    recent = case(world, closed_ago=2 * YEAR)
    still_open = case(world, closed_ago=None)
    Incident.objects.filter(pk=still_open.incident.pk).update(received_at=timezone.now() - 10 * YEAR)
    held = case(world, closed_ago=4 * YEAR)
    services.place_legal_hold(incident=held.incident, by=world.supervisor_a, reason="Claim 2026-118 pending")
    # Provider B keeps its closed incidents ten years.
    world.provider_b.retain_incidents_days = world.provider_b.retain_evidence_days = 3650
    world.provider_b.retain_messages_days, world.provider_b.retain_audit_days = 3650, 3650
    world.provider_b.save()
    other = case(
        world, closed_ago=4 * YEAR, site=world.b1, guard=world.guard_b, supervisor=world.supervisor_b
    )

    report_ = services.apply_retention()

    assert not exists(old.incident)
    assert not Evidence.objects.filter(pk=old.photo.pk).exists()
    assert not CustodyEvent.objects.filter(evidence_id=old.photo.pk).exists()
    assert not Escalation.objects.filter(pk=old.escalation.pk).exists()
    assert not Debrief.objects.filter(incident_id=old.incident.pk).exists()
    assert not TimelineEntry.objects.filter(incident_id=old.incident.pk).exists()
    assert not (old_files & stored_files()), "the original, the thumbnail, the debrief's PDF are deleted"
    for kept in (recent, still_open, held, other):
        assert exists(kept.incident)
        assert Escalation.objects.filter(pk=kept.escalation.pk).exists()
        assert Evidence.objects.filter(pk=kept.photo.pk).exists()
        assert kept.files <= stored_files()
        assert TimelineEntry.objects.filter(pk__in=[m.pk for m in kept.messages]).count() == 2
    assert Debrief.objects.filter(incident_id=held.incident.pk).exists(), "the closing drafted a debrief"
    assert report_.counts[("Provider A", "incident")] == 1
    assert ("Provider B", "incident") not in report_.counts
    # Nothing more is due: a second run deletes nothing.
    assert services.apply_retention().counts.get(("Provider A", "incident")) is None


def test_evidence_and_messages_go_by_their_own_periods_and_the_incident_stays(world):
    world.provider_a.retain_evidence_days = world.provider_a.retain_messages_days = 365
    world.provider_a.save()
    c = case(world, closed_ago=2 * YEAR)
    other_entries = set(
        TimelineEntry.objects.filter(incident=c.incident)
        .exclude(kind=TimelineEntry.Kind.MESSAGE)
        .values_list("pk", flat=True)
    )

    services.apply_retention()

    assert exists(c.incident)
    assert not Evidence.objects.filter(incident=c.incident).exists()
    assert not CustodyEvent.objects.filter(evidence_id=c.photo.pk).exists()
    assert not (c.files & stored_files())
    assert not TimelineEntry.objects.filter(incident=c.incident, kind=TimelineEntry.Kind.MESSAGE).exists()
    assert other_entries <= set(
        TimelineEntry.objects.filter(incident=c.incident).values_list("pk", flat=True)
    )
    said = TimelineEntry.objects.filter(incident=c.incident, kind=TimelineEntry.Kind.RETENTION)
    assert sorted((entry.data["what"], entry.data["count"]) for entry in said) == [
        ("evidence", 1),
        ("messages", 2),
    ]
    assert all(entry.internal for entry in said)


def test_each_batch_has_a_ledger_row_with_its_counts_range_and_hash(world):
    cases = [case(world, closed_ago=ago) for ago in (4 * YEAR, 5 * YEAR, 6 * YEAR)]
    expected_items = sorted((str(c.incident.public_id), c.incident.reference) for c in cases)

    services.apply_retention(batch=2)

    rows = list(DeletionLedger.objects.filter(kind=DeletionLedger.Kind.INCIDENT).order_by("id"))
    assert [row.count for row in rows] == [2, 1]
    items = [tuple(item) for row in rows for item in row.items]
    assert sorted(items) == expected_items
    for row in rows:
        lines = "\n".join(f"{public_id}:{reference}" for public_id, reference in row.items)
        assert row.digest == hashlib.sha256(lines.encode()).hexdigest()
        assert row.organization == world.provider_a
        closed = sorted(
            c.incident.closed_at for c in cases if str(c.incident.public_id) in {i[0] for i in row.items}
        )
        assert (row.first_at, row.last_at) == (closed[0], closed[-1])
        # The ledger row is audited, with the same digest and counts.
        event = AuditEvent.objects.get(action="retention.deleted", data__ledger=row.pk)
        assert (event.data["digest"], event.data["count"], event.data["kind"]) == (
            row.digest,
            row.count,
            "incident",
        )
    # With the same periods, the evidence went first, in rows of its own: each item's id and SHA-256.
    evidence = [
        item for row in DeletionLedger.objects.filter(kind=DeletionLedger.Kind.EVIDENCE) for item in row.items
    ]
    assert sorted(evidence) == sorted([str(c.photo.public_id), c.photo.sha256] for c in cases)


def test_the_dry_run_reports_per_organization_and_kind_and_changes_nothing(world, capsys):
    c = case(world, closed_ago=4 * YEAR)
    case(world, closed_ago=YEAR)
    before = (
        Incident.objects.count(),
        Evidence.objects.count(),
        TimelineEntry.objects.count(),
        AuditEvent.objects.count(),
        stored_files(),
    )

    call_command("apply_retention", "--dry-run")

    out = capsys.readouterr().out
    assert "Provider A: would delete 1 incident" in out
    assert "Provider A: would delete 1 evidence" in out
    assert "Provider A: would delete 2 message" in out
    assert before == (
        Incident.objects.count(),
        Evidence.objects.count(),
        TimelineEntry.objects.count(),
        AuditEvent.objects.count(),
        stored_files(),
    )
    assert not DeletionLedger.objects.exists()

    call_command("apply_retention")

    out = capsys.readouterr().out
    assert "Provider A: deleted 1 incident" in out
    assert "deletion-ledger rows written" in out
    assert not exists(c.incident)


def test_the_nightly_task_does_what_the_command_does(world):
    entry = app.conf.beat_schedule["incidents-apply-retention"]
    assert entry["task"] == "incidents.apply_retention"
    c = case(world, closed_ago=4 * YEAR)
    assert apply_retention_task() >= 1
    assert not exists(c.incident)
    assert DeletionLedger.objects.filter(kind=DeletionLedger.Kind.INCIDENT).count() == 1


def test_a_legal_hold_needs_a_supervisor_or_org_admin_and_a_reason(world):
    c = case(world, closed_ago=4 * YEAR)
    for outsider in (world.guard_a, world.liaison_x, world.supervisor_b):
        with pytest.raises(PermissionDenied):
            services.place_legal_hold(incident=c.incident, by=outsider, reason="Because")
    with pytest.raises(ValidationError, match="Say why"):
        services.place_legal_hold(incident=c.incident, by=world.supervisor_a, reason="   ")
    c.incident.refresh_from_db()
    assert not c.incident.on_legal_hold
    services.place_legal_hold(incident=c.incident, by=world.admin_a, reason="Court order 55/26")
    services.apply_retention()
    assert exists(c.incident)
    assert c.files <= stored_files()
    services.lift_legal_hold(incident=c.incident, by=world.supervisor_a, reason="The claim was settled")
    actions = list(
        AuditEvent.objects.filter(action__startswith="incident.legal_hold_")
        .order_by("id")
        .values_list("action", "data")
    )
    assert actions == [
        ("incident.legal_hold_placed", {"reason": "Court order 55/26"}),
        (
            "incident.legal_hold_lifted",
            {"reason": "The claim was settled", "placed_for": "Court order 55/26"},
        ),
    ]
    services.apply_retention()
    assert not exists(c.incident)


def hold_url(incident: Incident) -> str:
    return reverse("incidents:legal_hold", args=[incident.public_id])


def test_the_supervisor_places_and_lifts_a_hold_from_the_incident_page(client, world):
    c = case(world, closed_ago=4 * YEAR)
    detail = reverse("incidents:detail", args=[c.incident.public_id])
    client.force_login(world.supervisor_a)
    page = client.get(detail).content.decode()
    assert 'data-legal-hold="off"' in page
    assert hold_url(c.incident) in page
    response = client.post(
        hold_url(c.incident), {"action": "place", "reason": "Insurer's claim 7781"}, follow=True
    )
    page = response.content.decode()
    assert "is on legal hold: nothing of it is deleted." in page
    assert 'data-legal-hold="on"' in page
    assert "Insurer&#x27;s claim 7781" in page
    # The reason as typed, quoted, and no full stop doubled after a reason that ends with one.
    assert "“Insurer&#x27;s claim 7781”" in page
    c.incident.refresh_from_db()
    assert (c.incident.legal_hold_by, c.incident.legal_hold_reason) == (
        world.supervisor_a,
        "Insurer's claim 7781",
    )
    placed = AuditEvent.objects.get(action="incident.legal_hold_placed")
    assert (placed.actor, placed.data["reason"]) == (world.supervisor_a, "Insurer's claim 7781")
    # The guard sees the hold; the agency does not.
    client.force_login(world.guard_a)
    assert 'data-legal-hold="on"' in client.get(detail).content.decode()
    client.force_login(world.liaison_x)
    assert "data-legal-hold" not in client.get(detail).content.decode()
    client.force_login(world.admin_a)
    response = client.post(hold_url(c.incident), {"action": "lift", "reason": "Claim settled"}, follow=True)
    assert "is no longer on legal hold." in response.content.decode()
    c.incident.refresh_from_db()
    assert not c.incident.on_legal_hold
    assert AuditEvent.objects.get(action="incident.legal_hold_lifted").actor == world.admin_a


def test_a_hold_without_a_reason_or_by_someone_else_changes_nothing(client, world):
    c = case(world, closed_ago=4 * YEAR)
    client.force_login(world.supervisor_a)
    response = client.post(hold_url(c.incident), {"action": "place", "reason": "  "}, follow=True)
    assert "Say why" in response.content.decode()
    for outsider in (world.guard_a, world.liaison_x):
        client.force_login(outsider)
        assert client.post(hold_url(c.incident), {"action": "place", "reason": "Mine"}).status_code == 403
    client.force_login(world.supervisor_b)
    assert client.post(hold_url(c.incident), {"action": "place", "reason": "Mine"}).status_code == 404
    c.incident.refresh_from_db()
    assert not c.incident.on_legal_hold
    assert not AuditEvent.objects.filter(action__startswith="incident.legal_hold_").exists()


def test_a_reason_that_ends_with_a_full_stop_is_not_followed_by_another(client, world):
    """Seen on the demo's held incident: "claim 2026-0417.. Retention deletes nothing"."""
    c = case(world, closed_ago=YEAR)
    services.place_legal_hold(incident=c.incident, by=world.supervisor_a, reason="Claim 2026-0417.")
    client.force_login(world.supervisor_a)
    page = client.get(reverse("incidents:detail", args=[c.incident.public_id])).content.decode()
    assert "“Claim 2026-0417.”" in page
    assert "0417.." not in page
