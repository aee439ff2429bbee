"""Asking for a bundle and building it: a purpose is required, only those who may export do, every
evidence file gets a custody 'exported' entry, and a file whose hash changed in storage stops it."""

import hashlib
import json
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile

from audit.models import AuditEvent
from debriefs.models import Debrief
from dispatch.models import AgencyCadCode
from exports import services
from exports.models import Bundle, export_storage
from incidents.models import CustodyEvent
from tests.exports.conftest import stored_path
from tests.exports.helpers import manifest_of
from tests.factories import report
from tests.incidents.evidence_samples import ORIGIN

pytestmark = pytest.mark.django_db


def _export(case, capture, *, by=None, purpose="Court date 2026-12-14"):
    with capture(execute=True):
        bundle = services.request_bundle(
            incident=case.incident, by=by or case.world.supervisor_a, purpose=purpose, origin=ORIGIN
        )
    return Bundle.objects.get(pk=bundle.pk)


@pytest.mark.parametrize("purpose", ["", "   ", "\n\t"])
def test_a_purpose_is_required_and_nothing_is_recorded_without_one(escalated, purpose):
    with pytest.raises(ValidationError) as refused:
        services.request_bundle(
            incident=escalated.incident, by=escalated.world.liaison_x, purpose=purpose, origin=ORIGIN
        )

    assert refused.value.message_dict["purpose"] == [
        "Say why the bundle is exported: a case number, a court date or a request reference."
    ]
    assert not Bundle.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="bundle.").exists()


def test_a_purpose_too_long_is_refused(escalated):
    with pytest.raises(ValidationError, match="200 characters"):
        services.request_bundle(
            incident=escalated.incident, by=escalated.world.liaison_x, purpose="x" * 201, origin=ORIGIN
        )
    assert not Bundle.objects.exists()


def test_the_purpose_is_kept_in_the_audit_log(escalated, django_capture_on_commit_callbacks):
    bundle = _export(escalated, django_capture_on_commit_callbacks, purpose="  Request  REF-88 ")

    requested = AuditEvent.objects.get(action="bundle.requested")
    exported = AuditEvent.objects.get(action="bundle.exported")
    assert requested.data["purpose"] == exported.data["purpose"] == bundle.purpose == "Request REF-88"
    assert exported.data["sha256"] == bundle.sha256
    assert requested.ip_address == "203.0.113.7"


@pytest.mark.parametrize(
    "who", ["guard_a", "admin_a", "admin_x", "liaison_y", "supervisor_b", "platform", "nobody"]
)
def test_only_the_providers_supervisors_and_the_agencys_liaisons_export(escalated, who):
    with pytest.raises(PermissionDenied):
        services.request_bundle(
            incident=escalated.incident, by=getattr(escalated.world, who), purpose="Case 1", origin=ORIGIN
        )
    assert not Bundle.objects.exists()


def test_an_incident_never_escalated_is_not_exported(world, signing_key):
    incident = report(world.guard_a, world.a1)
    with pytest.raises(PermissionDenied):
        services.request_bundle(incident=incident, by=world.supervisor_a, purpose="Case 1", origin=ORIGIN)


def test_without_a_signing_key_the_request_says_how_to_make_one(escalated, signing_key):
    signing_key.unlink()
    with pytest.raises(ValidationError, match="Run `manage.py generate_signing_key`"):
        services.request_bundle(
            incident=escalated.incident, by=escalated.world.liaison_x, purpose="C", origin=ORIGIN
        )
    assert not Bundle.objects.exists()


def test_every_evidence_file_gets_one_custody_exported_entry(escalated, django_capture_on_commit_callbacks):
    _export(escalated, django_capture_on_commit_callbacks, by=escalated.world.liaison_x)

    for item in (escalated.photo, escalated.document):
        exported = CustodyEvent.objects.filter(evidence=item, action=CustodyEvent.Action.EXPORTED)
        assert [(e.actor, e.ip_address, e.user_agent) for e in exported] == [
            (escalated.world.liaison_x, ORIGIN.ip_address, ORIGIN.user_agent)
        ]
    assert AuditEvent.objects.filter(action="evidence.exported").count() == 2


def test_a_file_changed_in_storage_stops_the_export_with_a_clear_error_and_an_audit_record(
    escalated, django_capture_on_commit_callbacks
):
    path = stored_path(escalated.document)
    path.write_bytes(path.read_bytes()[:-1] + b"X")  # what the storage tier did, unnoticed
    computed = hashlib.sha256(path.read_bytes()).hexdigest()

    bundle = _export(escalated, django_capture_on_commit_callbacks)

    assert bundle.status == Bundle.Status.FAILED
    assert "Export stopped: evidence/" in bundle.error
    assert "receipt.pdf no longer matches the hash recorded when it was received" in bundle.error
    assert f"recorded {escalated.document.sha256}, computed now {computed}" in bundle.error
    assert not bundle.file
    assert not list(Path(export_storage.location).rglob("*.zip"))
    assert not list(Path(export_storage.location).rglob("*.part"))
    record = AuditEvent.objects.get(action="bundle.hash_mismatch")
    assert record.outcome == AuditEvent.Outcome.FAILURE
    assert (record.data["recorded"], record.data["computed"]) == (escalated.document.sha256, computed)
    assert not CustodyEvent.objects.filter(action=CustodyEvent.Action.EXPORTED).exists()
    assert not AuditEvent.objects.filter(action="bundle.exported").exists()


def test_a_file_missing_from_storage_stops_the_export_and_says_which(
    escalated, django_capture_on_commit_callbacks
):
    stored_path(escalated.photo).unlink()

    bundle = _export(escalated, django_capture_on_commit_callbacks)

    assert bundle.status == Bundle.Status.FAILED
    assert (
        f"Export stopped: evidence/{escalated.photo.public_id}/door camera.jpg is missing from storage"
        in (bundle.error)
    )
    assert AuditEvent.objects.get(action="bundle.file_missing").outcome == AuditEvent.Outcome.FAILURE
    assert not CustodyEvent.objects.filter(action=CustodyEvent.Action.EXPORTED).exists()


def test_a_finished_bundle_is_left_as_it_is_when_its_task_runs_again(
    escalated, django_capture_on_commit_callbacks
):
    bundle = _export(escalated, django_capture_on_commit_callbacks)

    again = services.build_bundle(bundle=bundle)

    assert (again.status, again.sha256) == (Bundle.Status.READY, bundle.sha256)
    assert CustodyEvent.objects.filter(action=CustodyEvent.Action.EXPORTED).count() == 2


def test_progress_counts_every_evidence_byte(escalated, django_capture_on_commit_callbacks):
    bundle = _export(escalated, django_capture_on_commit_callbacks)

    assert (bundle.files_done, bundle.files_total) == (2, 2)
    assert bundle.bytes_done == bundle.bytes_total == escalated.photo.size + escalated.document.size
    assert bundle.percent == 100


def test_the_approved_debriefs_pdf_is_in_the_bundle_and_a_draft_is_not(
    escalated, django_capture_on_commit_callbacks
):
    pdf = b"%PDF-1.4\n% approved debrief\n%%EOF\n"
    draft = Debrief.objects.create(incident=escalated.incident, version=1, status=Debrief.Status.DRAFT)
    draft.pdf.save("draft.pdf", ContentFile(b"%PDF-1.4 draft"), save=False)
    draft.pdf_status = Debrief.Pdf.READY
    draft.save()
    first = _export(escalated, django_capture_on_commit_callbacks)
    assert "debrief.pdf" not in {
        e["path"] for e in manifest_of(Path(export_storage.path(first.file.name)))["files"]
    }

    approved = Debrief.objects.create(incident=escalated.incident, version=2, status=Debrief.Status.APPROVED)
    approved.pdf.save("approved.pdf", ContentFile(pdf), save=False)
    approved.pdf_status, approved.pdf_sha256 = Debrief.Pdf.READY, hashlib.sha256(pdf).hexdigest()
    approved.save()
    second = _export(escalated, django_capture_on_commit_callbacks)

    path = Path(export_storage.path(second.file.name))
    entry = next(e for e in manifest_of(path)["files"] if e["path"] == "debrief.pdf")
    assert (entry["kind"], entry["version"], entry["sha256"]) == ("debrief", 2, approved.pdf_sha256)
    with zipfile.ZipFile(path) as archive:
        assert archive.read("debrief.pdf") == pdf


def test_the_police_response_carries_the_agencys_own_cad_code(escalated, django_capture_on_commit_callbacks):
    AgencyCadCode.objects.create(
        agency=escalated.world.agency_x, category=escalated.incident.category, cad_code="459R"
    )

    bundle = _export(escalated, django_capture_on_commit_callbacks)

    with zipfile.ZipFile(export_storage.path(bundle.file.name)) as archive:
        incident = json.loads(archive.read("incident.json"))
    assert incident["category"]["apco_code"] == "LARCENY"
    assert incident["police_responses"][0]["agency_cad_code"] == "459R"
