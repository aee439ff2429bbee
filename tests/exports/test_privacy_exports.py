"""What leaves the platform for the agency (README, "Who sees what"): its bundle, its EIDO, its ICS-214
and the debrief it shares hold no internal note, party or file and no field the profile withholds; the
provider's own exports hold them all."""

import io
import json
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pypdf import PdfReader

from debriefs.facts import collect
from dispatch import services as dispatch_services
from exports import services
from exports.models import Bundle, export_storage
from incidents import services as incident_services
from tests.incidents.evidence_samples import ORIGIN, jpeg

pytestmark = pytest.mark.django_db

SECRET = "HR-checking-internal"
PHONE = "+44 7700 900456"
TEL = "tel:+447700900456"  # the contact as the EIDO's call-back URI


@pytest.fixture
def private(escalated):
    w = escalated.world
    incident = escalated.incident
    incident_services.add_party(
        incident=incident,
        by=w.supervisor_a,
        party=incident_services.PartyInput(
            role="victim", description="Car owner", name="Priya Shah", contact=PHONE
        ),
    )
    incident_services.add_note(incident=incident, by=w.supervisor_a, text=f"Note {SECRET}", internal=True)
    escalated.internal_photo = incident_services.add_evidence(
        incident=incident,
        by=w.supervisor_a,
        upload=SimpleUploadedFile(f"{SECRET}.jpg", jpeg((32, 24)), "image/jpeg"),
        client_sha256=None,
        origin=ORIGIN,
        internal=True,
    )
    return escalated


def _bundle_text(case, user, django_capture_on_commit_callbacks) -> tuple[str, list[str]]:
    with django_capture_on_commit_callbacks(execute=True):
        asked = services.request_bundle(incident=case.incident, by=user, purpose="Case 77", origin=ORIGIN)
    bundle = Bundle.objects.get(pk=asked.pk)
    assert bundle.status == Bundle.Status.READY, bundle.error
    assert bundle.file.name
    with zipfile.ZipFile(Path(export_storage.path(bundle.file.name))) as archive:
        names = archive.namelist()
        text = archive.read("incident.json").decode() + archive.read("timeline.json").decode()
    return text, names


def test_the_agencys_bundle_leaves_out_internal_items_and_withheld_fields(
    private, django_capture_on_commit_callbacks
):
    text, names = _bundle_text(private, private.world.liaison_x, django_capture_on_commit_callbacks)
    assert "Priya Shah" in text
    assert SECRET not in text
    assert PHONE not in text
    assert not any(str(private.internal_photo.public_id) in name for name in names)
    assert any(str(private.photo.public_id) in name for name in names)

    text, names = _bundle_text(private, private.world.supervisor_a, django_capture_on_commit_callbacks)
    assert SECRET in text
    assert PHONE in text
    assert any(str(private.internal_photo.public_id) in name for name in names)


def test_the_agencys_eido_leaves_them_out_and_the_providers_has_them(client, private):
    url = f"/api/v1/eido/{private.incident.public_id}/"
    client.force_login(private.world.liaison_x)
    agency = client.get(url, HTTP_X_WATCHPOST_PURPOSE="Case 2026/0042").content.decode()
    assert "Priya Shah" in agency
    assert SECRET not in agency
    assert PHONE not in agency
    assert "7700900456" not in agency  # nor as a call-back URI
    client.force_login(private.world.supervisor_a)
    provider = json.dumps(client.get(url).json())
    assert SECRET in provider
    assert TEL in provider


def test_the_agencys_activity_log_and_the_shared_debrief_leave_out_internal_notes(client, private):
    w = private.world
    dispatch_services.accept_escalation(escalation=private.escalation, by=w.liaison_x)
    dispatch_services.clear_escalation(escalation=private.escalation, by=w.liaison_x, disposition="Cautioned")
    incident_services.close_incident(incident=private.incident, by=w.supervisor_a, resolution="Returned")
    client.force_login(w.liaison_x)
    response = client.get(reverse("exports:ics214", args=[private.incident.public_id]))
    assert response.status_code == 200
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Cautioned" in text
    assert SECRET not in text
    facts = json.dumps(collect(private.incident), default=str)
    assert "Cautioned" in facts
    assert SECRET not in facts
    assert PHONE not in facts


def test_the_agencys_bundle_carries_no_file_of_a_redacted_photo_the_providers_keeps_the_original(
    escalated, django_capture_on_commit_callbacks
):
    """A photo with areas redacted for the police: the agency's bundle lists it (with its SHA-256 at
    upload, and that the original is held by the provider) but carries no file of it; the provider's
    bundle carries the original, byte for byte, for court."""
    w = escalated.world
    with django_capture_on_commit_callbacks(execute=True):
        incident_services.redact_evidence(
            evidence=escalated.photo,
            by=w.supervisor_a,
            rectangles=[{"x": 0.1, "y": 0.1, "w": 0.5, "h": 0.5}],
            reason="Bystander's face",
        )
    photo_id = str(escalated.photo.public_id)

    with django_capture_on_commit_callbacks(execute=True):
        asked = services.request_bundle(
            incident=escalated.incident, by=w.liaison_x, purpose="Case 77", origin=ORIGIN
        )
    bundle = Bundle.objects.get(pk=asked.pk)
    assert bundle.status == Bundle.Status.READY, bundle.error
    assert bundle.files_total == bundle.files_done == 1
    with zipfile.ZipFile(Path(export_storage.path(bundle.file.name))) as archive:
        names = archive.namelist()
        document = json.loads(archive.read("incident.json"))
    assert not any(name.startswith(f"evidence/{photo_id}/") for name in names)
    assert any(name.startswith(f"evidence/{escalated.document.public_id}/") for name in names)
    assert f"custody/{photo_id}.json" in names
    item = next(item for item in document["evidence"] if item["id"] == photo_id)
    assert item["sha256_at_upload"] == escalated.photo.sha256
    assert (item["redacted_areas"], item["original_included"]) == (1, False)

    _, names = _bundle_text(escalated, w.supervisor_a, django_capture_on_commit_callbacks)
    assert any(name.startswith(f"evidence/{photo_id}/") for name in names)
