import hashlib
import os
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory

from incidents.uploads import (
    HashedUploadedFile,
    HashingUploadHandler,
    OversizeUpload,
    install_upload_handlers,
)
from portal.requests import origin_of


@pytest.fixture
def written(monkeypatch) -> list[int]:
    """The sizes of the chunks the handler writes to its temporary files."""
    sizes: list[int] = []
    write = HashedUploadedFile.write

    def spy(self, data):
        sizes.append(len(data))
        return write.fget(self)(data)  # type: ignore[attr-defined]

    monkeypatch.setattr(HashedUploadedFile, "write", spy)
    return sizes


def stream(handler: HashingUploadHandler, data: bytes, *, chunk: int = 1000, length: int | None = None):
    handler.new_file("evidence", "clip.mp4", "video/mp4", length)
    for start in range(0, len(data), chunk):
        handler.receive_data_chunk(data[start : start + chunk], start)
    return handler.file_complete(len(data))


def test_the_handler_hashes_and_counts_while_it_writes_a_temporary_file(settings):
    settings.EVIDENCE_MAX_BYTES = 10_000
    data = os.urandom(9_999)
    handler = HashingUploadHandler(RequestFactory().post("/"))

    upload = stream(handler, data)

    assert isinstance(upload, HashedUploadedFile)
    assert upload.sha256 == hashlib.sha256(data).hexdigest()
    assert upload.size == len(data)
    assert upload.name == "clip.mp4"
    assert upload.read() == data
    path = Path(upload.temporary_file_path())
    assert path.exists()
    assert "clip" not in path.name
    upload.close()
    assert not path.exists()


def test_past_the_limit_the_handler_deletes_what_it_wrote_and_stops_writing(settings, written):
    settings.EVIDENCE_MAX_BYTES = 2_500
    handler = HashingUploadHandler(RequestFactory().post("/"))
    handler.new_file("evidence", "huge.mp4", "video/mp4", None)
    temporary = Path(handler.temp.temporary_file_path())  # type: ignore[union-attr]

    for start in range(0, 10_000, 1000):
        handler.receive_data_chunk(b"x" * 1000, start)
        if start >= 2000:
            assert not temporary.exists()
    upload = handler.file_complete(10_000)

    assert sum(written) == 2_000
    assert isinstance(upload, OversizeUpload)
    assert upload.size_limit_exceeded
    assert upload.size == 10_000
    assert upload.name == "huge.mp4"
    assert upload.read() == b""


def test_a_declared_length_over_the_limit_is_refused_before_anything_is_written(settings, written):
    settings.EVIDENCE_MAX_BYTES = 2_500

    upload = stream(HashingUploadHandler(RequestFactory().post("/")), b"x" * 2_000, length=5_000)

    assert isinstance(upload, OversizeUpload)
    assert written == []


def test_a_file_of_exactly_the_limit_is_accepted(settings):
    settings.EVIDENCE_MAX_BYTES = 2_000

    upload = stream(HashingUploadHandler(RequestFactory().post("/")), b"x" * 2_000)

    assert isinstance(upload, HashedUploadedFile)
    assert upload.size == 2_000


def test_an_interrupted_upload_leaves_no_temporary_file(settings):
    handler = HashingUploadHandler(RequestFactory().post("/"))
    handler.new_file("evidence", "clip.mp4", "video/mp4", None)
    handler.receive_data_chunk(b"x" * 100, 0)
    temporary = Path(handler.temp.temporary_file_path())  # type: ignore[union-attr]

    handler.upload_interrupted()

    assert not temporary.exists()


def test_installed_on_a_request_it_receives_every_file_in_order(settings, written):
    settings.EVIDENCE_MAX_BYTES = 4_000
    small, big, last = b"a" * 1_000, b"b" * 50_000, b"c" * 3_000
    request = RequestFactory().post(
        "/",
        {
            "evidence": [
                SimpleUploadedFile("one.jpg", small),
                SimpleUploadedFile("two.mp4", big),
                SimpleUploadedFile("three.pdf", last),
            ],
            "evidence_sha256": ["1", "2", "3"],
        },
    )

    install_upload_handlers(request)
    files = request.FILES.getlist("evidence")

    assert [type(handler) for handler in request.upload_handlers] == [HashingUploadHandler]
    assert [upload.name for upload in files] == ["one.jpg", "two.mp4", "three.pdf"]
    assert [type(upload) for upload in files] == [HashedUploadedFile, OversizeUpload, HashedUploadedFile]
    assert isinstance(files[0], HashedUploadedFile)
    assert files[0].sha256 == hashlib.sha256(small).hexdigest()
    assert files[2].read() == last
    assert request.POST.getlist("evidence_sha256") == ["1", "2", "3"]
    # The 50 KB file was cut off once past 4 KB: only what came before the limit was ever written.
    assert sum(written) <= len(small) + settings.EVIDENCE_MAX_BYTES + len(last)


def test_origin_of_takes_the_address_and_the_user_agent():
    request = RequestFactory().get("/", REMOTE_ADDR="198.51.100.4", HTTP_USER_AGENT="Phone/2.0")

    origin = origin_of(request)

    assert (origin.ip_address, origin.user_agent) == ("198.51.100.4", "Phone/2.0")


@pytest.mark.parametrize(
    ("address", "expected"),
    [("2001:db8::1", "2001:db8::1"), ("", None), ("not an address", None), ("10.0.0.1, 10.0.0.2", None)],
)
def test_origin_of_keeps_only_a_valid_address(address, expected):
    assert origin_of(RequestFactory().get("/", REMOTE_ADDR=address)).ip_address == expected


def test_origin_of_cleans_and_truncates_the_user_agent():
    request = RequestFactory().get("/", HTTP_USER_AGENT="Evil\x00Agent\n" + "x" * 400)

    agent = origin_of(request).user_agent

    assert agent.startswith("EvilAgentxxx")
    assert len(agent) == 300
