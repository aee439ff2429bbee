import hashlib
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from incidents import services
from incidents.models import CustodyEvent, Evidence, TimelineEntry
from incidents.uploads import HashedUploadedFile
from tests.factories import report
from tests.incidents import evidence_samples as samples
from tests.incidents.evidence_samples import ORIGIN

AGENT = "Mozilla/5.0 (Linux; Android 14; Guard phone) Watchpost test"
OUTSIDERS = ["guard_b", "supervisor_b", "liaison_x", "liaison_y", "nobody"]


def stored_files() -> list[Path]:
    root = Path(settings.EVIDENCE_ROOT)
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


@pytest.fixture
def incident(world):
    return report(world.guard_a, world.a1)


@pytest.fixture
def photo(world, incident, eager, django_capture_on_commit_callbacks) -> Evidence:
    """A photo uploaded and committed, its thumbnail made by the task that follows the commit."""
    with django_capture_on_commit_callbacks(execute=True):
        evidence = services.add_evidence(
            incident=incident,
            by=world.guard_a,
            upload=samples.upload(samples.jpeg(), "scene.jpg"),
            client_sha256=None,
            origin=ORIGIN,
        )
    evidence.refresh_from_db()
    return evidence


def upload(client: Client, incident, files, hashes=None, **fields):
    return client.post(
        reverse("incidents:evidence_upload", args=[incident.public_id]),
        {"evidence": files, "evidence_sha256": hashes or [], **fields},
        HTTP_USER_AGENT=AGENT,
        REMOTE_ADDR="192.0.2.44",
    )


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- Upload -----------------------------------------------------------------------------------


def test_a_guard_uploads_several_files_with_their_browser_hashes(client, world, incident):
    jpeg, pdf = samples.jpeg(), samples.pdf()
    client.force_login(world.guard_a)

    response = upload(
        client,
        incident,
        [SimpleUploadedFile("scene.jpg", jpeg), SimpleUploadedFile("statement.pdf", pdf)],
        [samples.sha256(jpeg), samples.sha256(pdf)],
        description="Entrance, 14:02",
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("incidents:detail", args=[incident.public_id])
    first, second = incident.evidence.order_by("pk")
    assert (first.original_name, first.sha256, first.kind) == ("scene.jpg", samples.sha256(jpeg), "photo")
    assert (second.original_name, second.sha256, second.kind) == (
        "statement.pdf",
        samples.sha256(pdf),
        "document",
    )
    assert first.description == "Entrance, 14:02"
    assert Path(second.file.path).read_bytes() == pdf
    event = first.custody.get()
    assert (event.action, event.actor, event.ip_address, event.user_agent) == (
        "uploaded",
        world.guard_a,
        "192.0.2.44",
        AGENT,
    )
    assert incident.timeline.filter(kind=TimelineEntry.Kind.EVIDENCE_ADDED).count() == 2
    assert messages_of(response) == [f"Added to {incident.reference}: scene.jpg, statement.pdf."]


def test_the_upload_goes_through_the_hashing_handler(client, world, incident, monkeypatch):
    seen = []
    add_evidence = services.add_evidence

    def spy(**kwargs):
        seen.append(kwargs["upload"])
        return add_evidence(**kwargs)

    monkeypatch.setattr("incidents.views.evidence.services.add_evidence", spy)
    client.force_login(world.guard_a)

    upload(client, incident, [SimpleUploadedFile("scene.png", samples.png())])

    assert [type(file) for file in seen] == [HashedUploadedFile]
    assert seen[0].sha256 == samples.sha256(samples.png())


def test_without_a_browser_hash_the_server_hash_stands_alone(client, world, incident):
    client.force_login(world.guard_a)

    upload(client, incident, [SimpleUploadedFile("scene.png", samples.png())], [""])

    assert incident.evidence.get().sha256 == samples.sha256(samples.png())


def test_a_hash_mismatch_is_refused_and_nothing_is_written(client, world, incident):
    client.force_login(world.guard_a)

    response = upload(
        client, incident, [SimpleUploadedFile("scene.png", samples.png())], [samples.sha256(b"other bytes")]
    )

    assert response.status_code == 302
    (message,) = messages_of(response)
    assert message.startswith("scene.png: changed on the way")
    assert not Evidence.objects.exists()
    assert stored_files() == []
    assert not incident.timeline.filter(kind=TimelineEntry.Kind.EVIDENCE_ADDED).exists()


def test_an_oversize_file_is_cut_off_while_streaming_and_the_others_are_kept(
    client, world, incident, settings, monkeypatch, eager, django_capture_on_commit_callbacks
):
    settings.EVIDENCE_MAX_BYTES = 4096
    written: list[int] = []
    write = HashedUploadedFile.write

    def spy(self, data):
        written.append(len(data))
        return write.fget(self)(data)  # type: ignore[attr-defined]

    monkeypatch.setattr(HashedUploadedFile, "write", spy)
    big = samples.pdf() + b"%" * 200_000
    small = samples.png()
    client.force_login(world.guard_a)

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(
            client,
            incident,
            [SimpleUploadedFile("long-video.pdf", big), SimpleUploadedFile("scene.png", small)],
            [samples.sha256(big), samples.sha256(small)],
        )

    assert messages_of(response) == [
        "long-video.pdf: is larger than the 4 KB limit.",
        f"Added to {incident.reference}: scene.png.",
    ]
    assert list(incident.evidence.values_list("original_name", flat=True)) == ["scene.png"]
    # Of the 200 KB file, at most the limit was ever written to disk, and none of it was kept.
    assert sum(written) <= settings.EVIDENCE_MAX_BYTES + len(small)
    assert stored_files() == sorted(
        Path(path) for path in (incident.evidence.get().file.path, incident.evidence.get().thumbnail.path)
    )


@pytest.mark.parametrize(
    ("data", "name", "says"),
    [
        (samples.TEXT_AS_IMAGE, "photo.jpg", "photo.jpg: is text"),
        (samples.HTML_AS_IMAGE, "photo.jpg", "photo.jpg: is a web page"),
        (samples.SVG_AS_IMAGE, "photo.png", "photo.png: is an SVG drawing"),
        (b"", "empty.jpg", "empty.jpg: is empty"),
    ],
)
def test_refused_content_is_reported_by_name_and_nothing_is_written(
    client, world, incident, data, name, says
):
    client.force_login(world.guard_a)

    response = upload(client, incident, [SimpleUploadedFile(name, data, content_type="image/jpeg")])

    (message,) = messages_of(response)
    assert message.startswith(says)
    assert not Evidence.objects.exists()
    assert not CustodyEvent.objects.exists()
    assert stored_files() == []


def test_a_path_in_the_file_name_is_dropped_and_the_stored_name_is_random(client, world, incident):
    client.force_login(world.guard_a)
    body = b"".join(
        [
            b"--BOUNDARY\r\n",
            b'Content-Disposition: form-data; name="evidence"; filename="../../etc/passwd.jpg"\r\n',
            b"Content-Type: image/jpeg\r\n\r\n",
            samples.jpeg(),
            b"\r\n--BOUNDARY--\r\n",
        ]
    )

    client.post(
        reverse("incidents:evidence_upload", args=[incident.public_id]),
        body,
        content_type="multipart/form-data; boundary=BOUNDARY",
    )

    evidence = incident.evidence.get()
    assert evidence.original_name == "passwd.jpg"
    path = Path(evidence.file.path).resolve()
    assert path.is_relative_to(Path(settings.EVIDENCE_ROOT).resolve() / "originals")
    assert "passwd" not in str(path)
    assert not Path("/etc/passwd.jpg").exists()


def test_nothing_chosen_is_a_clear_message(client, world, incident):
    client.force_login(world.guard_a)

    response = upload(client, incident, [])

    assert messages_of(response) == ["Choose at least one file to add."]


def test_the_upload_checks_the_csrf_token(world, incident):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.guard_a)

    refused = upload(client, incident, [SimpleUploadedFile("scene.png", samples.png())])

    assert refused.status_code == 403
    assert not Evidence.objects.exists()
    page = client.get(reverse("incidents:detail", args=[incident.public_id]))
    token = page.context["csrf_token"]
    accepted = upload(
        client, incident, [SimpleUploadedFile("scene.png", samples.png())], csrfmiddlewaretoken=token
    )
    assert accepted.status_code == 302
    assert Evidence.objects.count() == 1


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_cannot_upload(client, world, incident, who):
    client.force_login(getattr(world, who))

    response = upload(client, incident, [SimpleUploadedFile("scene.png", samples.png())])

    assert response.status_code == 404
    assert not Evidence.objects.exists()
    assert stored_files() == []


def test_upload_needs_a_login(client, incident):
    response = upload(client, incident, [SimpleUploadedFile("scene.png", samples.png())])

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert not Evidence.objects.exists()


# --- Versions ---------------------------------------------------------------------------------


def test_a_new_version_through_the_page_keeps_the_first(client, world, incident, photo):
    client.force_login(world.supervisor_a)
    pdf = samples.pdf()

    response = upload(
        client, incident, [SimpleUploadedFile("scene-report.pdf", pdf)], supersedes=str(photo.public_id)
    )

    second = Evidence.objects.get(supersedes=photo)
    assert response["Location"] == reverse("incidents:evidence_detail", args=[second.public_id])
    assert (second.version, second.sha256) == (2, samples.sha256(pdf))
    photo.refresh_from_db()
    assert photo.version == 1
    assert Path(photo.file.path).read_bytes() == samples.jpeg()
    old_page = client.get(reverse("incidents:evidence_detail", args=[photo.public_id]))
    assert b"A newer version exists" in old_page.content
    assert reverse("incidents:evidence_detail", args=[second.public_id]).encode() in old_page.content


def test_a_new_version_is_one_file(client, world, incident, photo):
    client.force_login(world.guard_a)

    response = upload(
        client,
        incident,
        [SimpleUploadedFile("a.png", samples.png()), SimpleUploadedFile("b.pdf", samples.pdf())],
        supersedes=str(photo.public_id),
    )

    assert messages_of(response) == ["A new version is one file: choose just one."]
    assert Evidence.objects.count() == 1


# --- Detail, download, thumbnail --------------------------------------------------------------


def test_the_detail_page_shows_the_hash_and_logs_the_view(client, world, photo):
    client.force_login(world.supervisor_a)

    response = client.get(
        reverse("incidents:evidence_detail", args=[photo.public_id]),
        HTTP_USER_AGENT=AGENT,
        REMOTE_ADDR="192.0.2.80",
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert f'<pre class="hash" aria-labelledby="hash-heading">{photo.sha256}</pre>' in html
    assert "scene.jpg" in html
    assert reverse("incidents:evidence_thumbnail", args=[photo.public_id]) in html
    assert reverse("incidents:evidence_download", args=[photo.public_id]) in html
    viewed = photo.custody.get(action=CustodyEvent.Action.VIEWED)
    assert (viewed.actor, viewed.ip_address, viewed.user_agent) == (world.supervisor_a, "192.0.2.80", AGENT)
    assert "192.0.2.80" in html  # the log on the page includes this very view
    assert ORIGIN.ip_address in html


def test_the_guards_own_evidence_page_folds_the_hash_away_and_lists_no_hash_column(client, world, photo):
    """Hashes are for those who check custody (issue 14.3): the guard who filed the photo reads that
    it is kept as sent, with the fingerprint folded; the supervisor sees it open, with each version's."""
    page = reverse("incidents:evidence_detail", args=[photo.public_id])
    client.force_login(world.guard_a)
    html = client.get(page).content.decode()
    assert "Kept exactly as you sent it" in html
    folded = html.split('<details class="hash-fold" data-hash-fold>')[1].split("</details>")[0]
    assert photo.sha256 in folded
    assert html.count(photo.sha256) == 1  # only in the fold
    assert photo.sha256[:16] not in html.replace(folded, "")
    assert '<th scope="col">SHA-256</th>' not in html

    client.force_login(world.supervisor_a)
    html = client.get(page).content.decode()
    assert "data-hash-fold" not in html
    assert '<th scope="col">SHA-256</th>' in html
    assert f"{photo.sha256[:16]}…" in html


def test_the_download_is_the_exact_original_as_an_attachment(client, world, photo):
    client.force_login(world.supervisor_a)

    response = client.get(
        reverse("incidents:evidence_download", args=[photo.public_id]),
        HTTP_USER_AGENT=AGENT,
        REMOTE_ADDR="192.0.2.81",
    )

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="scene.jpg"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "image/jpeg"
    assert "no-store" in response["Cache-Control"]
    body = b"".join(response.streaming_content)
    assert body == samples.jpeg()
    assert hashlib.sha256(body).hexdigest() == photo.sha256
    downloaded = photo.custody.get(action=CustodyEvent.Action.DOWNLOADED)
    assert (downloaded.actor, downloaded.ip_address, downloaded.user_agent) == (
        world.supervisor_a,
        "192.0.2.81",
        AGENT,
    )


def test_a_disguised_name_downloads_with_the_extension_of_its_content(client, world, incident):
    evidence = services.add_evidence(
        incident=incident,
        by=world.guard_a,
        upload=samples.upload(samples.pdf(), "notes.html"),
        client_sha256=None,
        origin=ORIGIN,
    )
    client.force_login(world.guard_a)

    response = client.get(reverse("incidents:evidence_download", args=[evidence.public_id]))

    assert response["Content-Disposition"] == 'attachment; filename="notes.html.pdf"'
    assert response["Content-Type"] == "application/pdf"
    response.close()


def test_the_thumbnail_is_a_re_encoded_image_without_exif_and_logs_the_view(client, world, photo):
    client.force_login(world.guard_a)

    response = client.get(
        reverse("incidents:evidence_thumbnail", args=[photo.public_id]),
        HTTP_USER_AGENT=AGENT,
        REMOTE_ADDR="192.0.2.82",
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    body = b"".join(response.streaming_content)
    assert body != samples.jpeg()
    image = Image.open(io.BytesIO(body))
    assert not image.getexif()
    assert max(image.size) <= 480
    assert samples.CAMERA.encode() not in body
    assert Path(photo.file.path).read_bytes() == samples.jpeg()
    assert list(photo.custody.values_list("action", flat=True)) == ["uploaded", "thumbnail"]
    shown = photo.custody.get(action=CustodyEvent.Action.THUMBNAIL)
    assert (shown.actor, shown.ip_address, shown.user_agent) == (world.guard_a, "192.0.2.82", AGENT)


def test_an_item_without_a_preview_has_no_thumbnail(client, world, incident):
    evidence = services.add_evidence(
        incident=incident,
        by=world.guard_a,
        upload=samples.upload(samples.pdf(), "statement.pdf"),
        client_sha256=None,
        origin=ORIGIN,
    )
    client.force_login(world.guard_a)

    assert client.get(reverse("incidents:evidence_thumbnail", args=[evidence.public_id])).status_code == 404
    assert list(evidence.custody.values_list("action", flat=True)) == ["uploaded"]


@pytest.mark.parametrize("who", OUTSIDERS)
@pytest.mark.parametrize("view", ["evidence_detail", "evidence_download", "evidence_thumbnail"])
def test_outsiders_get_404_and_leave_no_custody_trace(client, world, photo, who, view):
    client.force_login(getattr(world, who))

    response = client.get(reverse(f"incidents:{view}", args=[photo.public_id]))

    assert response.status_code == 404
    assert list(photo.custody.values_list("action", flat=True)) == ["uploaded"]


def test_the_incident_page_lists_the_evidence_and_offers_the_upload_form(client, world, incident, photo):
    client.force_login(world.guard_a)

    response = client.get(reverse("incidents:detail", args=[incident.public_id]))

    html = response.content.decode()
    assert reverse("incidents:evidence_detail", args=[photo.public_id]) in html
    assert photo.sha256[:12] not in html, (
        "the fingerprint is on the evidence's own page, not in the guard's way"
    )
    assert 'enctype="multipart/form-data"' in html
    assert reverse("incidents:evidence_upload", args=[incident.public_id]) in html
    assert 'accept="image/*,video/*,audio/*,application/pdf"' in html
    assert "js/evidence.js" in html
    assert "capture" not in html


def test_the_incident_page_offers_no_upload_once_closed(client, world, incident, photo):
    services.close_incident(incident=incident, by=world.supervisor_a, resolution="Done.")
    client.force_login(world.supervisor_a)

    response = client.get(reverse("incidents:detail", args=[incident.public_id]))

    assert reverse("incidents:evidence_detail", args=[photo.public_id]).encode() in response.content
    assert reverse("incidents:evidence_upload", args=[incident.public_id]).encode() not in response.content
