"""The report form's answers to the device's outbox (static/js/outbox.js), which sends a kept report
with ``Accept: application/json``: where the report is, whether it arrived now or already (the same
idempotency key never files a second), and the form's errors field by field when it is refused."""

import hashlib
import io

from django.contrib.messages import get_messages
from django.urls import reverse

from incidents.models import Incident
from tests.incidents.test_views import png_bytes, report_data

JSON = {"HTTP_ACCEPT": "application/json"}


def test_a_kept_report_arrives_once_however_often_the_outbox_sends_it(client, world):
    client.force_login(world.guard_a)
    data = report_data(world, narrative="Kept in the basement")
    first = client.post(reverse("incidents:report"), data, **JSON)
    assert first.status_code == 201
    incident = Incident.objects.get()
    assert first.json() == {
        "reference": incident.reference,
        "url": reverse("incidents:detail", args=[incident.public_id]),
        "created": True,
        "status": "submitted",
        "refusals": [],
        "message": f"{incident.reference} sent to your supervisors.",
    }
    again = client.post(reverse("incidents:report"), data, **JSON)
    assert again.status_code == 200
    assert again.json()["created"] is False
    assert again.json()["reference"] == incident.reference
    assert "already received" in again.json()["message"]
    assert Incident.objects.count() == 1
    # Told in the answer, not left as messages for the next page the guard opens.
    assert list(get_messages(again.wsgi_request)) == []


def test_a_kept_photo_arrives_with_the_hash_the_phone_made(client, world):
    client.force_login(world.guard_a)
    content = png_bytes()
    photo = io.BytesIO(content)
    photo.name = "door.png"
    digest = hashlib.sha256(content).hexdigest()
    response = client.post(
        reverse("incidents:report"),
        {**report_data(world), "evidence": [photo], "evidence_sha256": [digest]},
        **JSON,
    )
    assert response.status_code == 201
    incident = Incident.objects.get()
    assert incident.status == Incident.Status.SUBMITTED
    assert incident.evidence.get().sha256 == digest


def test_a_refused_report_comes_back_with_its_errors_and_nothing_is_written(client, world):
    client.force_login(world.guard_a)
    response = client.post(
        reverse("incidents:report"), report_data(world, severity="9", narrative="x" * 20_001), **JSON
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"severity", "narrative"}
    assert "Select a valid choice" in errors["severity"][0]
    assert response.json()["labels"] == {"severity": "Severity", "narrative": "What happened?"}
    assert not Incident.objects.exists()


def test_a_refused_file_is_said_and_the_report_kept_as_a_draft(client, world):
    client.force_login(world.guard_a)
    fake = io.BytesIO(b"<html><script>alert(1)</script></html>")
    fake.name = "photo.jpg"
    response = client.post(reverse("incidents:report"), {**report_data(world), "evidence": [fake]}, **JSON)
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "draft"
    assert body["refusals"]
    assert "kept as a draft" in body["message"]
