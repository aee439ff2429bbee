from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from dispatch import services as dispatch_services
from exports import signing
from incidents import services as incident_services
from tests.factories import report
from tests.incidents.evidence_samples import ORIGIN, jpeg, pdf


@pytest.fixture
def signing_key(settings) -> Path:
    """A deployment key of this test's own, in its file (as `generate_signing_key` makes it)."""
    signing.generate_key_file(Path(settings.EXPORT_SIGNING_KEY_FILE))
    return Path(settings.EXPORT_SIGNING_KEY_FILE)


@pytest.fixture
def escalated(world, signing_key, eager) -> SimpleNamespace:
    """A1's theft report with a photo and a PDF, escalated by A's supervisor to agency X (tasks run
    in this process at commit, also with REDIS_URL set: the bundle's build is what the tests read)."""
    case = SimpleNamespace(world=world)
    case.incident = report(world.guard_a, world.a1, narrative="Two jackets taken at the entrance")
    case.photo = incident_services.add_evidence(
        incident=case.incident,
        by=world.guard_a,
        upload=SimpleUploadedFile("door camera.jpg", jpeg((64, 48)), "image/jpeg"),
        client_sha256=None,
        origin=ORIGIN,
    )
    case.document = incident_services.add_evidence(
        incident=case.incident,
        by=world.guard_a,
        upload=SimpleUploadedFile("receipt.pdf", pdf(), "application/pdf"),
        client_sha256=None,
        origin=ORIGIN,
    )
    case.escalation = dispatch_services.escalate_incident(
        incident=case.incident, by=world.supervisor_a, reason="Seen on camera"
    )
    case.incident.refresh_from_db()
    return case


def stored_path(evidence) -> Path:
    return Path(settings.EVIDENCE_ROOT) / evidence.file.name
