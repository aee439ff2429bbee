import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import TestCase
from PIL import ExifTags, Image

from incidents import services
from incidents.models import CustodyEvent, Evidence, Incident, TimelineEntry
from incidents.services import content
from incidents.services.evidence import clean_file_name, download_name
from tests.factories import report
from tests.incidents import evidence_samples as samples
from tests.incidents.evidence_samples import ORIGIN


def stored_files() -> list[Path]:
    root = Path(settings.EVIDENCE_ROOT)
    return sorted(path.resolve() for path in root.rglob("*") if path.is_file()) if root.exists() else []


def assert_nothing_written(incident: Incident) -> None:
    assert not Evidence.objects.exists()
    assert not CustodyEvent.objects.exists()
    assert stored_files() == []
    assert not incident.timeline.filter(kind=TimelineEntry.Kind.EVIDENCE_ADDED).exists()


@pytest.fixture
def incident(world):
    return report(world.guard_a, world.a1)


@pytest.fixture(autouse=True)
def _thumbnails_in_process(eager):
    """The thumbnail task runs here when the upload commits (Celery eager, even with REDIS_URL)."""


def add(incident, by, data: bytes, name: str = "photo.jpg", **kwargs):
    """An upload, committed: its thumbnail task (after the commit) has run."""
    kwargs.setdefault("client_sha256", None)
    with TestCase.captureOnCommitCallbacks(execute=True):
        evidence = services.add_evidence(
            incident=incident, by=by, upload=samples.upload(data, name), origin=ORIGIN, **kwargs
        )
    evidence.refresh_from_db()
    return evidence


def refusal(error: pytest.ExceptionInfo[ValidationError]) -> str:
    return " ".join(error.value.message_dict["evidence"])


# --- What the bytes are -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "kind", "content_type"),
    [
        (samples.jpeg(), "photo", "image/jpeg"),
        (samples.png(), "photo", "image/png"),
        (samples.webp(), "photo", "image/webp"),
        (samples.ftyp(b"heic", b"mif1", b"heic"), "photo", "image/heic"),
        (samples.ftyp(b"mif1", b"mif1", b"heic"), "photo", "image/heic"),
        (samples.ftyp(b"mif1", b"mif1"), "photo", "image/heif"),
        (samples.mp4(), "video", "video/mp4"),
        (samples.ftyp(b"mp42", b"mp42", b"isom"), "video", "video/mp4"),
        (samples.ftyp(b"qt  ", b"qt  "), "video", "video/quicktime"),
        (samples.ftyp(b"3gp4", b"3gp4", b"isom"), "video", "video/3gpp"),
        (samples.ftyp(b"XYZ1", b"XYZ1", b"isom"), "video", "video/mp4"),
        (samples.webm(), "video", "video/webm"),
        (samples.ftyp(b"M4A ", b"M4A ", b"mp42", b"isom"), "audio", "audio/mp4"),
        (samples.mp3_id3(), "audio", "audio/mpeg"),
        (samples.mp3_frame(), "audio", "audio/mpeg"),
        (samples.wav(), "audio", "audio/wav"),
        (samples.ogg(), "audio", "audio/ogg"),
        (samples.pdf(), "document", "application/pdf"),
    ],
)
def test_identify_allowed_types_by_their_bytes(data, kind, content_type):
    file_type = content.identify(data[: content.HEAD_BYTES])

    assert (file_type.kind, file_type.content_type) == (kind, content_type)


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (samples.HTML_AS_IMAGE, "web page"),
        (b"\xef\xbb\xbf  \n<html><body>hi</body></html>", "web page"),
        (samples.SVG_AS_IMAGE, "SVG"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "SVG"),
        (samples.TEXT_AS_IMAGE, "text"),
        (samples.mkv(), "Matroska"),
        (samples.ftyp(b"avif", b"avif", b"mif1"), "AVIF"),
        (samples.ftyp(b"mif1", b"mif1", b"avif"), "AVIF"),
        (samples.ftyp(b"crx ", b"crx "), "not accepted"),
        (b"PK\x03\x04" + bytes(40), "not a file type"),
        (b"MZ\x90\x00" + bytes(60), "not a file type"),
        (b"GIF89a" + bytes(20), "not a file type"),
        (b"\xff\xfb\x90", "not a file type"),
    ],
)
def test_identify_refuses_everything_else_and_says_what_it_is(data, says):
    with pytest.raises(content.Unrecognised, match=says):
        content.identify(data)


# --- Adding evidence --------------------------------------------------------------------------


def test_add_evidence_keeps_the_file_byte_for_byte_under_a_random_name(world, incident):
    data = samples.jpeg()

    evidence = add(incident, world.guard_a, data, "IMG_0001.jpg", description="  The  rack  ")

    evidence.refresh_from_db()
    assert evidence.incident == incident
    assert evidence.uploaded_by == world.guard_a
    assert (evidence.kind, evidence.content_type) == ("photo", "image/jpeg")
    assert evidence.original_name == "IMG_0001.jpg"
    assert evidence.description == "The rack"
    assert evidence.size == len(data)
    assert evidence.sha256 == samples.sha256(data)
    assert evidence.version == 1
    path = Path(evidence.file.path)
    assert path.read_bytes() == data
    assert path.is_relative_to(Path(settings.EVIDENCE_ROOT).resolve() / "originals")
    assert "IMG_0001" not in str(path)
    assert len(path.stem) == 32


def test_add_evidence_logs_the_upload_in_the_custody_chain(world, incident):
    evidence = add(incident, world.guard_a, samples.pdf(), "statement.pdf")

    (event,) = evidence.custody.all()
    assert event.action == CustodyEvent.Action.UPLOADED
    assert event.actor == world.guard_a
    assert event.ip_address == ORIGIN.ip_address
    assert event.user_agent == ORIGIN.user_agent
    assert evidence.uploaded_at <= event.at


def test_add_evidence_lands_on_the_timeline(world, incident):
    data = samples.wav()

    evidence = add(incident, world.supervisor_a, data, "call.wav")

    entry = incident.timeline.get(kind=TimelineEntry.Kind.EVIDENCE_ADDED)
    assert entry.actor == world.supervisor_a
    assert entry.data == {
        "evidence_id": str(evidence.public_id),
        "name": "call.wav",
        "sha256": samples.sha256(data),
        "version": 1,
    }


def test_the_server_hashes_an_upload_that_arrives_without_a_hash(world, incident):
    data = samples.mp4()
    upload = samples.upload(data, "clip.mp4", "video/mp4")
    assert not hasattr(upload, "sha256")

    evidence = services.add_evidence(
        incident=incident, by=world.guard_a, upload=upload, client_sha256=None, origin=ORIGIN
    )

    assert evidence.sha256 == samples.sha256(data)


@pytest.mark.parametrize(
    "client_hash", [samples.sha256(samples.png()), samples.sha256(samples.png()).upper()]
)
def test_a_matching_client_hash_is_accepted(world, incident, client_hash):
    evidence = add(incident, world.guard_a, samples.png(), "shot.png", client_sha256=client_hash)

    assert evidence.sha256 == samples.sha256(samples.png())


@pytest.mark.parametrize("client_hash", [samples.sha256(b"something else"), "not-a-hash", "0" * 64])
def test_a_client_hash_that_does_not_match_is_refused_and_nothing_is_written(world, incident, client_hash):
    with pytest.raises(ValidationError) as error:
        add(incident, world.guard_a, samples.png(), "shot.png", client_sha256=client_hash)

    assert refusal(error).startswith("shot.png: changed on the way")
    assert "SHA-256" in refusal(error)
    assert_nothing_written(incident)


@pytest.mark.parametrize(
    ("data", "name", "says"),
    [
        (samples.TEXT_AS_IMAGE, "passwords.jpg", "passwords.jpg: is text"),
        (samples.HTML_AS_IMAGE, "cute-cat.jpg", "cute-cat.jpg: is a web page"),
        (samples.SVG_AS_IMAGE, "logo.png", "logo.png: is an SVG drawing"),
        (
            b"\xff\xd8\xff" + b"<html><script>alert(1)</script></html>",
            "fake.jpg",
            "fake.jpg: starts like a JPEG",
        ),
        (b"\x89PNG\r\n\x1a\n" + bytes(30), "broken.png", "broken.png: starts like a PNG"),
        (b"", "nothing.jpg", "nothing.jpg: is empty"),
        (b"PK\x03\x04" + bytes(100), "evidence.zip", "evidence.zip: is not a file type that is accepted"),
    ],
)
def test_wrong_content_is_refused_naming_the_file_and_nothing_is_written(world, incident, data, name, says):
    with pytest.raises(ValidationError) as error:
        add(incident, world.guard_a, data, name)

    assert refusal(error).startswith(says)
    assert_nothing_written(incident)


def test_a_file_over_the_size_limit_is_refused(world, incident, settings):
    settings.EVIDENCE_MAX_BYTES = 2048
    data = samples.pdf() + b"%" * 2048

    with pytest.raises(ValidationError) as error:
        add(incident, world.guard_a, data, "big.pdf")

    assert refusal(error) == "big.pdf: is larger than the 2 KB limit."
    assert_nothing_written(incident)


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("../../etc/passwd.jpg", "passwd.jpg"),
        ("..\\..\\Windows\\win.ini.jpg", "win.ini.jpg"),
        ("/var/lib/watchpost/evidence/x.jpg", "x.jpg"),
        ("evil\x00.php.jpg", "evil.php.jpg"),
        ("line\nbreak\r\n.jpg", "linebreak.jpg"),
        ("photo\u202egpj.exe", "photogpj.exe"),
        ("  spaced   out  .jpg ", "spaced out .jpg"),
        ("..", "unnamed file"),
        ("", "unnamed file"),
    ],
)
def test_file_names_are_cleaned_for_display(name, shown):
    assert clean_file_name(name) == shown


def test_a_long_file_name_is_shortened_keeping_its_extension():
    name = clean_file_name("a" * 400 + ".jpeg")

    assert len(name) == 150
    assert name.endswith("a….jpeg")


@pytest.mark.parametrize("name", ["../../etc/passwd.jpg", "../../../tmp/x\x00.jpg", "a\nb/../../c.jpg"])
def test_path_tricks_in_the_name_never_reach_the_file_system(world, incident, name):
    evidence = add(incident, world.guard_a, samples.jpeg(), name)

    root = Path(settings.EVIDENCE_ROOT).resolve()
    path = Path(evidence.file.path).resolve()
    assert path.is_relative_to(root)
    assert path.parent.parent.parent == root / "originals"
    assert path.suffix == ".jpg"
    assert len(path.stem) == 32
    assert int(path.stem, 16) >= 0
    assert "/" not in evidence.original_name
    assert "\x00" not in evidence.original_name
    assert "\n" not in evidence.original_name
    assert stored_files() == sorted([path, Path(evidence.thumbnail.path).resolve()])


def test_the_thumbnail_is_re_encoded_without_metadata_and_the_original_is_untouched(world, incident):
    data = samples.jpeg((640, 480), orientation=6)
    original_exif = Image.open(io.BytesIO(data)).getexif()
    assert original_exif[ExifTags.Base.Make] == samples.CAMERA
    assert original_exif.get_ifd(ExifTags.IFD.GPSInfo)

    evidence = add(incident, world.guard_a, data, "rotated.jpg")

    assert Path(evidence.file.path).read_bytes() == data
    thumbnail_bytes = Path(evidence.thumbnail.path).read_bytes()
    assert thumbnail_bytes != data
    assert samples.CAMERA.encode() not in thumbnail_bytes
    thumbnail = Image.open(io.BytesIO(thumbnail_bytes))
    assert thumbnail.format == "JPEG"
    assert not thumbnail.getexif()
    assert "exif" not in thumbnail.info
    assert "icc_profile" not in thumbnail.info
    # Orientation 6 is applied to the pixels: the landscape original shows upright, as portrait.
    assert thumbnail.size == (360, 480)
    assert Path(evidence.thumbnail.path).is_relative_to(Path(settings.EVIDENCE_ROOT).resolve() / "thumbnails")


def test_a_transparent_png_gets_a_thumbnail(world, incident):
    evidence = add(incident, world.guard_a, samples.png((800, 200)), "screen.png")

    thumbnail = Image.open(evidence.thumbnail.path)
    assert (thumbnail.format, thumbnail.mode, thumbnail.size) == ("JPEG", "RGB", (480, 120))


@pytest.mark.parametrize(
    ("data", "name"),
    [(samples.pdf(), "a.pdf"), (samples.mp4(), "a.mp4"), (samples.ftyp(b"heic", b"heic"), "a.heic")],
)
def test_items_that_are_not_readable_photos_have_no_thumbnail(world, incident, data, name):
    evidence = add(incident, world.guard_a, data, name)

    assert not evidence.thumbnail
    assert stored_files() == [Path(evidence.file.path).resolve()]


def test_the_download_name_gets_an_extension_that_matches_the_content(world, incident):
    disguised = add(incident, world.guard_a, samples.jpeg(), "invoice.html")
    honest = add(incident, world.guard_a, samples.jpeg(), "IMG_1.JPG")

    assert download_name(disguised) == "invoice.html.jpg"
    assert download_name(honest) == "IMG_1.JPG"


# --- Versions ---------------------------------------------------------------------------------


def test_a_new_version_supersedes_and_the_first_is_kept(world, incident):
    first_data, second_data = samples.jpeg(), samples.png()
    first = add(incident, world.guard_a, first_data, "scene.jpg")

    second = add(incident, world.supervisor_a, second_data, "scene-cropped.png", supersedes=first)

    first.refresh_from_db()
    assert (second.version, second.supersedes) == (2, first)
    assert first.superseded_by == second
    assert (first.version, first.sha256, first.original_name) == (1, samples.sha256(first_data), "scene.jpg")
    assert Path(first.file.path).read_bytes() == first_data
    assert Path(second.file.path).read_bytes() == second_data
    assert first.file.name != second.file.name
    entry = incident.timeline.filter(kind=TimelineEntry.Kind.EVIDENCE_ADDED).last()
    assert entry.data["supersedes"] == str(first.public_id)
    assert entry.data["version"] == 2


def test_an_already_superseded_version_cannot_be_superseded_again(world, incident):
    first = add(incident, world.guard_a, samples.jpeg(), "scene.jpg")
    add(incident, world.guard_a, samples.png(), "v2.png", supersedes=first)
    files_before = stored_files()

    with pytest.raises(ValidationError) as error:
        add(incident, world.guard_a, samples.pdf(), "v2-again.pdf", supersedes=first)

    assert "already been replaced" in refusal(error)
    assert Evidence.objects.count() == 2
    assert stored_files() == files_before


def test_evidence_of_another_incident_cannot_be_superseded(world, incident):
    other = report(world.guard_a, world.a1)
    foreign = add(other, world.guard_a, samples.jpeg(), "elsewhere.jpg")

    with pytest.raises(ValidationError) as error:
        add(incident, world.guard_a, samples.png(), "mine.png", supersedes=foreign)

    assert "another report" in refusal(error)
    assert not incident.evidence.exists()


# --- Policy -----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["guard_b", "supervisor_b", "liaison_x", "admin_x", "nobody"])
def test_outsiders_cannot_add_evidence(world, incident, who):
    with pytest.raises(PermissionDenied):
        add(incident, getattr(world, who), samples.jpeg())

    assert_nothing_written(incident)


def test_nobody_adds_evidence_to_a_closed_incident(world, incident):
    services.close_incident(incident=incident, by=world.supervisor_a, resolution="Recovered the jackets.")

    with pytest.raises(PermissionDenied):
        add(incident, world.supervisor_a, samples.jpeg())

    assert not Evidence.objects.exists()
    assert stored_files() == []


def test_a_failure_while_saving_leaves_no_file_behind(world, incident, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("incidents.services.evidence.add_timeline_entry", broken)

    with pytest.raises(RuntimeError):
        add(incident, world.guard_a, samples.jpeg(), "scene.jpg")

    assert_nothing_written(incident)


# --- Custody ----------------------------------------------------------------------------------


def test_open_evidence_file_returns_the_original_and_logs_the_download(world, incident):
    data = samples.pdf()
    evidence = add(incident, world.guard_a, data, "statement.pdf")

    with services.open_evidence_file(evidence=evidence, by=world.supervisor_a, origin=ORIGIN) as file:
        assert file.read() == data

    event = evidence.custody.get(action=CustodyEvent.Action.DOWNLOADED)
    assert (event.actor, event.ip_address, event.user_agent) == (
        world.supervisor_a,
        ORIGIN.ip_address,
        ORIGIN.user_agent,
    )


def test_an_export_is_logged_as_an_export(world, incident):
    evidence = add(incident, world.guard_a, samples.pdf(), "statement.pdf")

    services.open_evidence_file(
        evidence=evidence, by=world.supervisor_a, origin=ORIGIN, action=CustodyEvent.Action.EXPORTED
    ).close()

    assert list(evidence.custody.values_list("action", flat=True)) == ["uploaded", "exported"]


@pytest.mark.parametrize("who", ["guard_b", "liaison_x", "nobody"])
def test_outsiders_cannot_open_evidence_and_nothing_is_logged(world, incident, who):
    evidence = add(incident, world.guard_a, samples.pdf(), "statement.pdf")

    with pytest.raises(PermissionDenied):
        services.open_evidence_file(evidence=evidence, by=getattr(world, who), origin=ORIGIN)

    assert list(evidence.custody.values_list("action", flat=True)) == ["uploaded"]


def test_record_custody_refuses_an_unknown_action(world, incident):
    evidence = add(incident, world.guard_a, samples.pdf(), "statement.pdf")

    with pytest.raises(ValueError, match="custody action"):
        services.record_custody(evidence=evidence, actor=world.guard_a, action="deleted", origin=ORIGIN)
