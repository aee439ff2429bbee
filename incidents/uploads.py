"""Receiving evidence files: hashed and counted while they stream, cut off once past the size limit.

Views that take evidence call ``install_upload_handlers(request)`` before anything reads
request.POST or request.FILES; such a view is ``csrf_exempt`` outside and ``csrf_protect`` inside
(the CSRF check reads request.POST, which would parse the upload with the default handlers first).
"""

import hashlib
import io
import tempfile
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import TemporaryUploadedFile, UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest


class HashedUploadedFile(TemporaryUploadedFile):
    """An upload streamed to a temporary file, with the SHA-256 of its bytes (hex) and its size."""

    def __init__(self, name: str, content_type: str, charset: str | None, extra: dict[str, Any] | None):
        # The temporary file's name owes nothing to the uploaded name.
        # Closed (and so deleted) with the request's files, or by the handler when it cuts a file off.
        file = tempfile.NamedTemporaryFile(suffix=".upload", dir=settings.FILE_UPLOAD_TEMP_DIR)  # noqa: SIM115
        UploadedFile.__init__(self, file, name, content_type, 0, charset, extra)
        self.sha256 = ""


class OversizeUpload(UploadedFile):
    """Stands in, holding no bytes, for a file cut off while streaming because it passed the limit.

    It keeps the file's place among the request's files (so each one still pairs with the hash the
    browser sent for it) and the service refuses it with a message naming the file.
    """

    size_limit_exceeded = True

    def __init__(self, name: str, content_type: str, received: int):
        super().__init__(io.BytesIO(), name, content_type, received)
        self.sha256 = ""


class HashingUploadHandler(FileUploadHandler):
    """Writes each file to a temporary file, hashing and counting as it goes; past
    settings.EVIDENCE_MAX_BYTES it deletes what it wrote and discards the rest of that file."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.limit: int = settings.EVIDENCE_MAX_BYTES
        self.temp: HashedUploadedFile | None = None
        self.digest = hashlib.sha256()
        self.received = 0
        self.exceeded = False

    def new_file(self, field_name: str, file_name: str, content_type: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, file_name, content_type, *args, **kwargs)
        self.digest = hashlib.sha256()
        self.received = 0
        self.exceeded = bool(self.content_length and self.content_length > self.limit)
        self.temp = None
        if not self.exceeded:
            self.temp = HashedUploadedFile(file_name, content_type, self.charset, self.content_type_extra)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.received += len(raw_data)
        if self.exceeded:
            return
        if self.received > self.limit:
            self.exceeded = True
            self._discard()
            return
        assert self.temp is not None
        self.digest.update(raw_data)
        self.temp.write(raw_data)

    def file_complete(self, file_size: int) -> UploadedFile:
        name, content_type = self.file_name or "", self.content_type or ""
        if self.exceeded or self.temp is None:
            return OversizeUpload(name, content_type, max(self.received, file_size))
        upload, self.temp = self.temp, None
        upload.seek(0)
        upload.size = file_size
        upload.sha256 = self.digest.hexdigest()
        return upload

    def upload_interrupted(self) -> None:
        self._discard()

    def _discard(self) -> None:
        if self.temp is not None:
            self.temp.close()  # a NamedTemporaryFile: closing deletes it
            self.temp = None


def install_upload_handlers(request: HttpRequest) -> None:
    """Receive this request's files with the hashing, size-limited handler (before POST/FILES are read)."""
    request.upload_handlers = [HashingUploadHandler(request)]
