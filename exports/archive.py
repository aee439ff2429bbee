"""The bundle's ZIP, written to a file as it goes: every member is streamed in chunks and hashed on
the way in, so a bundle of any size costs a few megabytes of memory (tests/exports/test_memory.py).
The manifest, written last, lists each member's size and SHA-256 and is signed; the format is the
one exports/verifier.py checks."""

import base64
import hashlib
import json
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from exports.verifier import FORMAT, MANIFEST, PUBLIC_KEY, SIGNATURE

CHUNK = 1024 * 1024


class HashMismatch(Exception):
    """A stored file no longer has the hash recorded when it was received."""

    def __init__(self, path: str, recorded: str, computed: str) -> None:
        super().__init__(f"{path}: recorded {recorded}, computed {computed}")
        self.path, self.recorded, self.computed = path, recorded, computed


class MissingFile(Exception):
    """A stored file listed in the database is not in storage any more."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


@dataclass(frozen=True)
class Member:
    path: str
    size: int
    sha256: str
    kind: str
    extra: dict[str, Any]

    def listing(self) -> dict[str, Any]:
        return {"path": self.path, "size": self.size, "sha256": self.sha256, "kind": self.kind, **self.extra}


def chunks_of(file: IO[bytes]) -> Iterator[bytes]:
    while chunk := file.read(CHUNK):
        yield chunk


def json_chunks(value: Any) -> Iterator[bytes]:
    """JSON text in pieces (an encoder's chunks), never the whole document as one string."""
    encoder = json.JSONEncoder(indent=2, ensure_ascii=False, sort_keys=True)
    for piece in encoder.iterencode(value):
        yield piece.encode()


class BundleArchive:
    """One bundle being written at ``path``; ``progress`` is told the bytes of evidence copied."""

    def __init__(self, path: Path, *, progress: Callable[[int], None] | None = None) -> None:
        self.path = path
        self.members: list[Member] = []
        self._progress = progress or (lambda done: None)
        self._zip = zipfile.ZipFile(path, "w", allowZip64=True)

    def __enter__(self) -> "BundleArchive":
        return self

    def __exit__(self, *exc: object) -> None:
        self._zip.close()

    def add(
        self,
        path: str,
        chunks: Iterable[bytes],
        *,
        kind: str,
        expected_sha256: str | None = None,
        compress: bool = True,
        counts: bool = False,
        **extra: Any,
    ) -> Member:
        """Stream ``chunks`` into the member ``path``; with ``expected_sha256``, raise HashMismatch
        when what was read is not what was recorded (the member is then not listed)."""
        info = zipfile.ZipInfo(path)
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        info.external_attr = 0o644 << 16
        digest, size = hashlib.sha256(), 0
        with self._zip.open(info, "w", force_zip64=True) as out:
            for chunk in chunks:
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
                if counts:
                    self._progress(len(chunk))
        sha256 = digest.hexdigest()
        if expected_sha256 is not None and sha256 != expected_sha256:
            raise HashMismatch(path, expected_sha256, sha256)
        member = Member(path=path, size=size, sha256=sha256, kind=kind, extra=extra)
        self.members.append(member)
        return member

    def seal(self, header: dict[str, Any], *, sign: Callable[[bytes], bytes], public_key_pem: bytes) -> bytes:
        """Write the manifest (``header`` and every member), its signature and the public key;
        return the manifest's bytes."""
        manifest = {"format": FORMAT, **header, "files": [member.listing() for member in self.members]}
        raw = json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=True).encode()
        self._zip.writestr(MANIFEST, raw, compress_type=zipfile.ZIP_DEFLATED)
        self._zip.writestr(SIGNATURE, base64.b64encode(sign(raw)) + b"\n")
        self._zip.writestr(PUBLIC_KEY, public_key_pem)
        return raw
