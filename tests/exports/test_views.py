"""The pages: the incident's button, the form that needs a purpose, the progress, the download, and
what an investigator fetches without an account (the public key and the script)."""

import hashlib
import zipfile
from io import BytesIO

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from exports import signing
from exports.models import Bundle
from exports.verifier import load_public_key
from tests.exports.helpers import SCRIPT

pytestmark = pytest.mark.django_db


def test_the_liaison_exports_from_the_incident_page_and_downloads_the_bundle(
    client, escalated, django_capture_on_commit_callbacks
):
    client.force_login(escalated.world.liaison_x)
    incident_page = client.get(reverse("incidents:detail", args=[escalated.incident.public_id]))
    exports_url = reverse("exports:incident", args=[escalated.incident.public_id])
    assert exports_url in incident_page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(exports_url, {"purpose": "Case 2026-4471"})
    assert sent.status_code == 302
    bundle = Bundle.objects.get()
    page = client.get(exports_url).content.decode()
    assert "Case 2026-4471" in page
    assert "Ready" in page
    assert signing.key_fingerprint() in page
    assert reverse("exports:verifier") in page

    state = client.get(reverse("exports:status", args=[bundle.public_id])).json()
    assert (state["status"], state["percent"], state["files_done"], state["sha256"]) == (
        "ready",
        100,
        2,
        bundle.sha256,
    )

    response = client.get(reverse("exports:download", args=[bundle.public_id]))
    body = b"".join(response.streaming_content)
    assert response["Content-Type"] == "application/zip"
    assert hashlib.sha256(body).hexdigest() == bundle.sha256
    assert "manifest.sig" in zipfile.ZipFile(BytesIO(body)).namelist()
    assert AuditEvent.objects.filter(action="bundle.downloaded", actor=escalated.world.liaison_x).exists()


def test_the_form_without_a_purpose_says_what_to_write_and_asks_for_nothing(client, escalated):
    client.force_login(escalated.world.supervisor_a)

    response = client.post(reverse("exports:incident", args=[escalated.incident.public_id]), {"purpose": " "})

    assert response.status_code == 400
    assert "Say why the bundle is exported: a case number, a court date or a request reference." in (
        response.content.decode()
    )
    assert not Bundle.objects.exists()


def test_a_queued_bundle_shows_its_progress_and_is_not_downloadable_yet(client, escalated):
    client.force_login(escalated.world.supervisor_a)
    client.post(reverse("exports:incident", args=[escalated.incident.public_id]), {"purpose": "Case 9"})
    bundle = Bundle.objects.get()  # its task waits for the commit that never comes in this test

    page = client.get(reverse("exports:incident", args=[escalated.incident.public_id])).content.decode()
    assert 'data-status="queued"' in page
    assert "<progress" in page
    assert client.get(reverse("exports:status", args=[bundle.public_id])).json()["status"] == "queued"
    refused = client.get(reverse("exports:download", args=[bundle.public_id]))
    assert (refused.status_code, refused.content) == (409, b"The bundle is not ready.")


def test_the_other_sides_people_do_not_see_a_bundle_they_did_not_make(client, escalated):
    client.force_login(escalated.world.supervisor_a)
    client.post(reverse("exports:incident", args=[escalated.incident.public_id]), {"purpose": "Case 9"})
    bundle = Bundle.objects.get()

    client.force_login(escalated.world.liaison_x)
    assert client.get(reverse("exports:status", args=[bundle.public_id])).status_code == 404
    client.force_login(escalated.world.liaison_y)
    assert client.get(reverse("exports:incident", args=[escalated.incident.public_id])).status_code == 404


def test_the_public_key_and_the_script_are_public(client, signing_key):
    key = client.get(reverse("exports:public_key"))
    assert key.status_code == 200
    assert key["X-Key-Fingerprint"] == signing.key_fingerprint()
    assert load_public_key(key.content) is not None

    script = client.get(reverse("exports:verifier"))
    assert script.content == SCRIPT.read_bytes()

    page = client.get(reverse("exports:verify")).content.decode()
    assert signing.key_fingerprint() in page


def test_the_admin_shows_the_keys_fingerprint(client, world, signing_key):
    world.platform.is_superuser = True
    world.platform.save()
    client.force_login(world.platform)

    page = client.get(reverse("admin:exports_bundle_changelist")).content.decode()

    assert signing.key_fingerprint() in page
