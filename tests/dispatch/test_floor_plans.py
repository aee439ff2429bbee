"""Floor plans of a site's profile: evidence-grade files (content-checked, SHA-256), who may add and
download them, every download audited."""

import hashlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEvent
from dispatch import services
from dispatch.models import FloorPlan
from tests.factories import report
from tests.incidents.evidence_samples import png

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_a_supervisor_keeps_a_floor_plan_with_its_sha256(world):
    data = png()
    plan = services.add_floor_plan(
        site=world.a1,
        by=world.supervisor_a,
        upload=SimpleUploadedFile("ground.png", data, "image/png"),
        name="Ground floor",
    )
    assert (plan.name, plan.content_type, plan.size) == ("Ground floor", "image/png", len(data))
    assert plan.sha256 == hashlib.sha256(data).hexdigest()
    assert plan.file.name.startswith("floor-plans/")
    assert "ground" not in plan.file.name
    pdf = services.add_floor_plan(
        site=world.a1, by=world.supervisor_a, upload=SimpleUploadedFile("l2.pdf", PDF)
    )
    assert pdf.content_type == "application/pdf"
    assert AuditEvent.objects.filter(action="floor_plan.added").count() == 2


def test_content_decides_not_the_name_and_bad_files_change_nothing(world):
    for upload in (
        SimpleUploadedFile("plan.png", b"MZ\x90\x00 not an image", "image/png"),
        SimpleUploadedFile("plan.png", b"", "image/png"),
    ):
        with pytest.raises(ValidationError):
            services.add_floor_plan(site=world.a1, by=world.supervisor_a, upload=upload)
    with pytest.raises(ValidationError, match="SHA-256"):
        services.add_floor_plan(
            site=world.a1,
            by=world.supervisor_a,
            upload=SimpleUploadedFile("plan.png", png(), "image/png"),
            client_sha256="0" * 64,
        )
    for person in (world.guard_a, world.liaison_x, world.supervisor_b):
        with pytest.raises(PermissionDenied):
            services.add_floor_plan(site=world.a1, by=person, upload=SimpleUploadedFile("p.png", png()))
    assert not FloorPlan.objects.exists()


def test_the_agency_downloads_it_unchanged_and_the_download_is_audited(client, world):
    data = png()
    plan = services.add_floor_plan(
        site=world.a1, by=world.supervisor_a, upload=SimpleUploadedFile("g.png", data)
    )
    url = reverse("dispatch:floor_plan", kwargs={"site_id": world.a1.pk, "floor_plan_id": plan.public_id})
    client.force_login(world.liaison_x)
    response = client.get(url)
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == plan.sha256 == response["X-Content-SHA256"]
    assert AuditEvent.objects.filter(action="floor_plan.downloaded", actor=world.liaison_x).exists()
    for outsider in (world.liaison_y, world.guard_a, world.supervisor_b):
        client.force_login(outsider)
        assert client.get(url).status_code == 404


def test_the_board_panel_links_the_floor_plans(client, world):
    plan = services.add_floor_plan(
        site=world.a1, by=world.supervisor_a, upload=SimpleUploadedFile("g.png", png()), name="Ground floor"
    )
    escalation = services.escalate_incident(incident=report(world.guard_a, world.a1), by=world.supervisor_a)
    client.force_login(world.liaison_x)
    page = client.get(
        reverse("dispatch:panel", kwargs={"escalation_id": escalation.public_id})
    ).content.decode()
    assert "Ground floor" in page
    assert str(plan.public_id) in page
