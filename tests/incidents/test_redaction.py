"""Redacted previews (issue 21 item 2): a supervisor hides areas of a photo from the agency; a
worker renders the agency's copy from the original, areas filled solid; the original file and its
SHA-256 never change. The liaison gets the redacted bytes and cannot download the original; the
provider keeps seeing the original, outlined and marked "Redacted for the police"."""

import hashlib
import io
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image, ImageStat
from rest_framework.test import APIClient

from audit.models import AuditEvent
from dispatch import services as dispatch_services
from incidents import services
from incidents.models import Evidence
from incidents.tasks import sweep_thumbnails_task
from tests.factories import report
from tests.incidents.evidence_samples import ORIGIN

pytestmark = pytest.mark.django_db

Preview = Evidence.Preview
FACE = {"x": 0.5, "y": 0.25, "w": 0.25, "h": 0.5}


def scene() -> bytes:
    """A bright, busy 400x300 photo: stripes of colour, so a filled area stands out and an untouched
    one can be compared."""
    image = Image.new("RGB", (400, 300), (230, 230, 230))
    for x in range(0, 400, 8):
        for y in range(300):
            image.putpixel((x, y), (200, (x * 3) % 256, (y * 5) % 256))
    output = io.BytesIO()
    image.save(output, "JPEG", quality=95)
    return output.getvalue()


@pytest.fixture
def case(world, eager, django_capture_on_commit_callbacks) -> SimpleNamespace:
    """A1's report with a photo (its thumbnail made), escalated to agency X."""
    c = SimpleNamespace(world=world, data=scene())
    c.incident = report(world.guard_a, world.a1)
    c.photo = services.add_evidence(
        incident=c.incident,
        by=world.guard_a,
        upload=SimpleUploadedFile("lobby.jpg", c.data, "image/jpeg"),
        client_sha256=None,
        origin=ORIGIN,
    )
    c.photo = services.make_thumbnail(evidence=c.photo)
    assert c.photo.thumbnail_status == Preview.READY
    dispatch_services.escalate_incident(incident=c.incident, by=world.supervisor_a, reason="On camera")
    c.sha256 = c.photo.sha256
    c.capture = django_capture_on_commit_callbacks
    return c


def redact(case, rectangles, *, by=None, reason="Bystander's face") -> Evidence:
    """Save the areas as ``by`` (the supervisor), with the after-commit worker run in this process."""
    with case.capture(execute=True):
        saved = services.redact_evidence(
            evidence=case.photo, by=by or case.world.supervisor_a, rectangles=rectangles, reason=reason
        )
    saved.refresh_from_db()
    return saved


def pixels(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


def region(image: Image.Image, area: dict[str, float], inset: int = 3) -> Image.Image:
    width, height = image.size
    box = (
        int(area["x"] * width) + inset,
        int(area["y"] * height) + inset,
        int((area["x"] + area["w"]) * width) - inset,
        int((area["y"] + area["h"]) * height) - inset,
    )
    return image.crop(box)


def mean_difference(first: Image.Image, second: Image.Image) -> float:
    a, b = ImageStat.Stat(first), ImageStat.Stat(second)
    return sum(abs(x - y) for x, y in zip(a.mean, b.mean, strict=True)) / 3


# --- the service -----------------------------------------------------------------------------


def test_the_redacted_copy_is_filled_inside_the_area_the_same_outside_and_the_original_untouched(case):
    original_path = Path(case.photo.file.path)
    plain_thumbnail = Path(case.photo.thumbnail.path).read_bytes()

    saved = redact(case, [FACE])

    assert saved.redacted_status == Preview.READY
    copy = Path(saved.redacted_thumbnail.path)
    assert copy != original_path
    assert copy != Path(saved.thumbnail.path)
    plain, redacted = pixels(plain_thumbnail), pixels(copy.read_bytes())
    assert plain.size == redacted.size
    inside = region(redacted, FACE)
    # Inside: solid, near black, whatever was there (the stripes' spread is gone).
    assert max(ImageStat.Stat(inside).stddev) < 3
    assert max(ImageStat.Stat(inside).mean) < 30
    assert mean_difference(inside, region(plain, FACE)) > 100
    # Outside (the left half, away from the area's edge): the same picture, within JPEG's noise.
    left = {"x": 0, "y": 0, "w": 0.45, "h": 1}
    assert mean_difference(region(redacted, left), region(plain, left)) < 3
    # The original: byte for byte as uploaded, its recorded hash unchanged, and the plain thumbnail too.
    assert original_path.read_bytes() == case.data
    assert hashlib.sha256(original_path.read_bytes()).hexdigest() == case.sha256
    saved.refresh_from_db()
    assert saved.sha256 == case.sha256
    assert saved.size == len(case.data)
    assert Path(saved.thumbnail.path).read_bytes() == plain_thumbnail


def test_the_areas_are_stored_as_fractions_and_the_save_is_audited(case):
    saved = redact(case, [FACE, {"x": 0, "y": 0, "w": 0.1, "h": 0.1}])

    assert saved.redactions == [FACE, {"x": 0.0, "y": 0.0, "w": 0.1, "h": 0.1}]
    assert (saved.redacted_by, saved.redaction_reason) == (case.world.supervisor_a, "Bystander's face")
    assert saved.redacted_at is not None
    record = AuditEvent.objects.get(action="evidence.redacted")
    assert record.actor == case.world.supervisor_a
    assert record.object_id == str(saved.public_id)
    assert record.data["areas"] == 2
    assert record.data["reason"] == "Bystander's face"


@pytest.mark.parametrize(
    ("rectangles", "message"),
    [
        ({"x": 0.1}, "list of rectangles"),
        ([{"x": 1.2, "y": 0, "w": 0.1, "h": 0.1}], "Area 1 starts outside the photo"),
        ([FACE, {"x": -0.1, "y": 0, "w": 0.1, "h": 0.1}], "Area 2 starts outside the photo"),
        ([{"x": 0.8, "y": 0, "w": 0.5, "h": 0.1}], "Area 1 reaches outside the photo"),
        ([{"x": 0.1, "y": 0.1, "w": 0, "h": 0.1}], "Area 1 is too small"),
        ([{"x": "a", "y": 0, "w": 0.1, "h": 0.1}], "Area 1: x is not a number"),
        ([{"x": True, "y": 0, "w": 0.1, "h": 0.1}], "Area 1: x is not a number"),
        ([{"x": float("nan"), "y": 0, "w": 0.1, "h": 0.1}], "Area 1: x is not a number"),
        ([{"x": 0, "y": 0, "w": 0.1}], "Area 1: give exactly x, y, width and height"),
        ([FACE] * 21, "At most 20 areas"),
    ],
)
def test_bad_areas_are_refused_with_a_clear_message_and_change_nothing(case, rectangles, message):
    redact(case, [FACE])
    before = Evidence.objects.get(pk=case.photo.pk)
    audits = AuditEvent.objects.count()

    with pytest.raises(ValidationError) as refused:
        redact(case, rectangles, reason="Another try")

    assert message in " ".join(refused.value.messages)
    after = Evidence.objects.get(pk=case.photo.pk)
    assert (after.redactions, after.redaction_reason, after.redacted_thumbnail.name) == (
        before.redactions,
        before.redaction_reason,
        before.redacted_thumbnail.name,
    )
    assert AuditEvent.objects.count() == audits


def test_a_reason_is_needed(case):
    with pytest.raises(ValidationError, match="Say why"):
        redact(case, [FACE], reason="  ")
    assert Evidence.objects.get(pk=case.photo.pk).redactions == []


@pytest.mark.parametrize("who", ["guard_a", "liaison_x", "supervisor_b"])
def test_only_the_providers_supervisors_and_admins_redact(case, who):
    with pytest.raises(PermissionDenied):
        redact(case, [FACE], by=getattr(case.world, who))
    assert Evidence.objects.get(pk=case.photo.pk).redactions == []
    assert redact(case, [FACE], by=case.world.admin_a).redactions == [FACE]


def test_lifting_the_redaction_gives_the_agency_the_plain_preview_again(client, case):
    redact(case, [FACE])
    lifted = redact(case, [], reason="Identified; the police may see it")

    assert (lifted.redactions, lifted.redacted_status, lifted.redacted_thumbnail.name) == (
        [],
        Preview.NONE,
        "",
    )
    assert AuditEvent.objects.filter(action="evidence.redaction_lifted", data__areas=0).exists()
    response = fetch(client, case.world.liaison_x, "incidents:evidence_thumbnail", case.photo)
    assert b"".join(response.streaming_content) == Path(lifted.thumbnail.path).read_bytes()
    assert client.get(reverse("incidents:evidence_download", args=[case.photo.public_id])).status_code == 200


# --- over HTTP -------------------------------------------------------------------------------


def fetch(client, user, name, evidence):
    """The user's GET of an evidence URL; an agency's reader states a purpose for the incident first,
    as the page asks (README: purpose-bound access), so what is checked here is the redaction."""
    client.force_login(user)
    if user.membership.organization.is_agency:
        url = reverse("incidents:give_purpose", args=[evidence.incident.public_id])
        assert client.post(url, {"purpose": "Case 2026/0042"}).status_code == 302
    return client.get(reverse(name, args=[evidence.public_id]))


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_the_liaison_gets_the_redacted_bytes_and_the_supervisor_the_original(client, case):
    saved = redact(case, [FACE])
    redacted = Path(saved.redacted_thumbnail.path).read_bytes()
    plain = Path(saved.thumbnail.path).read_bytes()

    liaison = fetch(client, case.world.liaison_x, "incidents:evidence_thumbnail", saved)
    assert liaison.status_code == 200
    assert liaison["X-Redacted"] == "redacted copy"
    assert body(liaison) == redacted != plain
    supervisor = fetch(client, case.world.supervisor_a, "incidents:evidence_thumbnail", saved)
    assert body(supervisor) == plain
    # The original file: refused to the agency while redacted, given to the provider unchanged.
    assert fetch(client, case.world.liaison_x, "incidents:evidence_download", saved).status_code == 403
    download = fetch(client, case.world.supervisor_a, "incidents:evidence_download", saved)
    assert hashlib.sha256(body(download)).hexdigest() == case.sha256


def test_until_the_copy_is_ready_the_agency_gets_a_placeholder_never_the_plain_preview(client, case):
    with case.capture(execute=False):  # the worker has not run yet
        services.redact_evidence(
            evidence=case.photo, by=case.world.supervisor_a, rectangles=[FACE], reason="Face"
        )
    response = fetch(client, case.world.liaison_x, "incidents:evidence_thumbnail", case.photo)
    assert (response["Content-Type"], response["X-Preview"]) == ("image/svg+xml", Preview.PENDING)


def test_the_pages_say_what_each_side_sees(client, case):
    saved = redact(case, [FACE])
    supervisor = fetch(client, case.world.supervisor_a, "incidents:evidence_detail", saved).content.decode()
    assert "Redacted for the police" in supervisor
    assert '<rect x="50%" y="25%" width="25%" height="50%">' in supervisor  # the outline
    assert "Download the original" in supervisor
    liaison = fetch(client, case.world.liaison_x, "incidents:evidence_detail", saved).content.decode()
    assert "Redacted for the police" in liaison
    assert "held by the provider" in liaison
    assert case.sha256 in liaison
    assert "Download the original" not in liaison
    assert "Redact for the police" not in liaison
    assert "data-redaction-outlines" not in liaison  # not even where the areas are


def test_the_form_saves_areas_in_percent(client, case):
    client.force_login(case.world.supervisor_a)
    url = reverse("incidents:evidence_redact", args=[case.photo.public_id])
    with case.capture(execute=True):
        response = client.post(
            url,
            {
                "area-1-x": "50", "area-1-y": "25", "area-1-w": "25", "area-1-h": "50",
                "area-2-x": "1", "area-2-y": "1", "area-2-w": "5", "area-2-h": "5", "area-2-remove": "on",
                "reason": "Bystander",
            },
        )  # fmt: skip
    assert response.status_code == 302
    saved = Evidence.objects.get(pk=case.photo.pk)
    assert saved.redactions == [FACE]
    assert saved.redacted_status == Preview.READY


def test_a_half_filled_row_is_refused_with_its_message(client, case):
    client.force_login(case.world.supervisor_a)
    url = reverse("incidents:evidence_redact", args=[case.photo.public_id])
    response = client.post(url, {"area-1-x": "50", "area-1-y": "25", "reason": "Face"}, follow=True)
    assert "Area 1: give x, y, width and height" in response.content.decode()
    assert Evidence.objects.get(pk=case.photo.pk).redactions == []


@pytest.mark.parametrize("who", ["guard_a", "liaison_x"])
def test_a_guard_or_the_liaison_cannot_set_redactions(client, case, who):
    client.force_login(getattr(case.world, who))
    url = reverse("incidents:evidence_redact", args=[case.photo.public_id])
    data = {"area-1-x": "50", "area-1-y": "25", "area-1-w": "25", "area-1-h": "50", "reason": "Face"}
    assert client.post(url, data).status_code == 403
    assert Evidence.objects.get(pk=case.photo.pk).redactions == []
    assert (
        "Redact for the police"
        not in fetch(
            client, getattr(case.world, who), "incidents:evidence_detail", case.photo
        ).content.decode()
    )


def test_the_api_refuses_the_agency_the_original_of_a_redacted_photo(case):
    redact(case, [FACE])
    api = APIClient(headers={"X-Watchpost-Purpose": "Case 2026/0042"})
    url = f"/api/v1/evidence/{case.photo.public_id}/download/"
    api.force_login(case.world.liaison_x)
    refused = api.get(url)
    assert refused.status_code == 403
    assert "held by the provider" in refused.json()["detail"]
    api.force_login(case.world.supervisor_a)
    assert hashlib.sha256(body(api.get(url))).hexdigest() == case.sha256


def test_the_sweep_renders_a_redacted_copy_whose_task_was_lost(case):
    with case.capture(execute=False):  # the task's message is lost
        services.redact_evidence(
            evidence=case.photo, by=case.world.supervisor_a, rectangles=[FACE], reason="Face"
        )
    Evidence.objects.filter(pk=case.photo.pk).update(redacted_at=timezone.now() - timedelta(minutes=5))

    assert sweep_thumbnails_task() == 1

    assert Evidence.objects.get(pk=case.photo.pk).redacted_status == Preview.READY


def test_a_new_version_of_a_redacted_photo_is_redacted_the_same_way(client, case):
    redact(case, [FACE])
    with case.capture(execute=True):
        newer = services.add_evidence(
            incident=case.incident,
            by=case.world.guard_a,
            upload=SimpleUploadedFile("lobby-2.jpg", scene(), "image/jpeg"),
            client_sha256=None,
            origin=ORIGIN,
            supersedes=case.photo,
        )
    newer.refresh_from_db()
    assert newer.redactions == [FACE]
    assert newer.redacted_status == Preview.READY
    liaison = fetch(client, case.world.liaison_x, "incidents:evidence_thumbnail", newer)
    assert body(liaison) == Path(newer.redacted_thumbnail.path).read_bytes()
    assert fetch(client, case.world.liaison_x, "incidents:evidence_download", newer).status_code == 403
