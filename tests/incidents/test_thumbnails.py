"""Thumbnails are never decoded in the request (issue 13 item 6): a worker makes them after the
commit, within THUMBNAIL_MAX_PIXELS, and the thumbnail URL serves a placeholder until then, or
instead when a photo is over the budget. A small file with a huge image is the case that matters:
its header is read, its pixels never are."""

import io
import struct
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image, ImageFile

from incidents.models import Evidence
from incidents.services import content
from incidents.tasks import make_thumbnail_task, sweep_thumbnails_task
from tests.factories import report
from tests.incidents import evidence_samples as samples


def huge_png(width: int = 10_000, height: int = 10_000) -> bytes:
    """A PNG whose header says width x height (100 megapixels by default) in a few hundred bytes: only
    its first rows are there, which no decoder here ever gets to."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    rows = zlib.compress((b"\x00" + bytes(width)) * 4, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


@pytest.fixture
def incident(world):
    return report(world.guard_a, world.a1)


@pytest.fixture
def decodes(monkeypatch):
    """Every pixel decode Pillow starts, counted (a photo's header is read without one)."""
    calls = []
    load = ImageFile.ImageFile.load

    def counted(self):
        calls.append(self.size)
        return load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", counted)
    return calls


def post_photo(client, incident, data: bytes, name: str):
    return client.post(
        reverse("incidents:evidence_upload", args=[incident.public_id]),
        {"evidence": [SimpleUploadedFile(name, data)]},
    )


def thumbnail_of(client, evidence):
    return client.get(reverse("incidents:evidence_thumbnail", args=[evidence.public_id]))


def test_a_small_file_with_a_huge_image_is_never_decoded(
    client, world, incident, decodes, eager, django_capture_on_commit_callbacks
):
    data = huge_png()
    assert len(data) < 1_000
    client.force_login(world.guard_a)
    with django_capture_on_commit_callbacks(execute=False) as after_commit:
        assert post_photo(client, incident, data, "scene.png").status_code == 302
    evidence = Evidence.objects.get()
    # In the request: kept as evidence, its pixels untouched, the thumbnail left to a worker.
    assert decodes == []
    assert evidence.thumbnail_status == Evidence.Preview.PENDING
    assert Path(evidence.file.path).read_bytes() == data
    pending = thumbnail_of(client, evidence)
    assert (pending.status_code, pending["Content-Type"], pending["X-Preview"]) == (
        200,
        "image/svg+xml",
        "pending",
    )
    assert b"Preparing" in pending.content
    assert pending["Cache-Control"] == "no-store"
    # After the commit: the worker reads the header, finds 100 megapixels over the 40 budget, stops.
    for callback in after_commit:
        callback()
    evidence.refresh_from_db()
    assert decodes == []
    assert (evidence.thumbnail_status, evidence.thumbnail.name) == (Evidence.Preview.TOO_LARGE, "")
    refused = thumbnail_of(client, evidence)
    assert refused["X-Preview"] == "too_large"
    assert b"Too large" in refused.content
    page = client.get(reverse("incidents:evidence_detail", args=[evidence.public_id])).content.decode()
    assert "more than 40 megapixels" in page
    # The placeholders show no evidence: only the real thumbnail is a custody event.
    assert list(evidence.custody.values_list("action", flat=True)) == ["uploaded", "viewed"]


def test_the_budget_is_a_setting_and_a_photo_within_it_gets_its_thumbnail(
    client, world, incident, settings, decodes, eager, django_capture_on_commit_callbacks
):
    client.force_login(world.guard_a)
    settings.THUMBNAIL_MAX_PIXELS = 200 * 150 - 1
    with django_capture_on_commit_callbacks(execute=True):
        post_photo(client, incident, samples.png((200, 150)), "over.png")
    assert decodes == []  # one pixel over the budget: never decoded
    settings.THUMBNAIL_MAX_PIXELS = 200 * 150
    with django_capture_on_commit_callbacks(execute=True):
        post_photo(client, incident, samples.png((200, 150)), "within.png")
    over, within = Evidence.objects.order_by("pk")
    assert over.thumbnail_status == Evidence.Preview.TOO_LARGE
    assert within.thumbnail_status == Evidence.Preview.READY
    assert decodes  # the one within the budget, by the worker
    response = thumbnail_of(client, within)
    assert response["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(b"".join(response.streaming_content))).size == (200, 150)
    assert "thumbnail" in list(within.custody.values_list("action", flat=True))


def test_the_task_is_idempotent_and_the_sweep_resumes_a_lost_one(
    client, world, incident, eager, django_capture_on_commit_callbacks
):
    client.force_login(world.guard_a)
    with django_capture_on_commit_callbacks(execute=False):  # the task is lost
        post_photo(client, incident, samples.jpeg(), "scene.jpg")
    evidence = Evidence.objects.get()
    assert evidence.thumbnail_status == Evidence.Preview.PENDING
    assert sweep_thumbnails_task.apply().get() == 0  # not stalled yet
    Evidence.objects.filter(pk=evidence.pk).update(uploaded_at=evidence.uploaded_at.replace(year=2020))
    assert sweep_thumbnails_task.apply().get() == 1
    evidence.refresh_from_db()
    assert evidence.thumbnail_status == Evidence.Preview.READY
    made = evidence.thumbnail.name
    make_thumbnail_task.apply(args=[evidence.pk])
    evidence.refresh_from_db()
    assert evidence.thumbnail.name == made
    assert len(list(Path(evidence.thumbnail.path).parent.iterdir())) == 1


def test_an_unreadable_photo_says_so_and_other_files_have_no_thumbnail(
    client, world, incident, eager, django_capture_on_commit_callbacks
):
    client.force_login(world.guard_a)
    with django_capture_on_commit_callbacks(execute=True):
        post_photo(client, incident, samples.pdf(), "statement.pdf")
    document = Evidence.objects.get()
    assert document.thumbnail_status == Evidence.Preview.NONE
    assert thumbnail_of(client, document).status_code == 404


@pytest.mark.parametrize(("width", "height"), [(10_000, 10_000), (20_000, 20_000)])
def test_pillows_bomb_guard_stands_behind_the_budget(decodes, width, height):
    """Even with a budget set too high, Pillow's decompression-bomb limit refuses a decode."""
    with pytest.raises(content.TooLarge) as refused:
        content.thumbnail(io.BytesIO(huge_png(width, height)), content.PNG, max_pixels=10**12)
    assert refused.value.pixels == width * height
    assert decodes == []
