#!/usr/bin/env python3
"""Verify a Watchpost evidence bundle offline: its signature, every file's SHA-256 and size, and that
no file was added or removed. Needs only Python 3.11+ and the `cryptography` package (no Django).

    python3 verify_bundle.py BUNDLE.zip --fingerprint "ab12 cd34 ..."   # the fingerprint published by
    python3 verify_bundle.py BUNDLE.zip --key watchpost-signing-key.pem  # the deployment, or its key

It prints each check as it passes and exits 0 only when all pass; otherwise it prints the first
problem and exits 1 (2 for a wrong command line). `scripts/verify_bundle.py` in the Watchpost
repository is this file, and `manage.py verify_bundle` runs it.
"""

import argparse
import base64
import binascii
import hashlib
import json
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

FORMAT = "watchpost-evidence-bundle/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
PUBLIC_KEY = "signing-key.pem"
CONTROL_FILES = (MANIFEST, SIGNATURE, PUBLIC_KEY)
CHUNK = 1024 * 1024


class BundleProblem(Exception):
    """The first thing wrong with a bundle, in words an investigator can act on."""


@dataclass
class Report:
    """What was checked, line by line, and the bundle's manifest once it was read."""

    lines: list[str]
    manifest: dict[str, Any] | None = None


def fingerprint(public_key: Ed25519PublicKey) -> str:
    """SHA-256 of the raw 32-byte public key, in groups of four hex digits (read aloud, compared)."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    digest = hashlib.sha256(raw).hexdigest()
    return " ".join(digest[i : i + 4] for i in range(0, len(digest), 4))


def normal_fingerprint(text: str) -> str:
    digits = "".join(char for char in text.lower() if char in "0123456789abcdef")
    return " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError as error:
        raise BundleProblem(f"the public key is not a PEM public key ({error})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise BundleProblem("the public key is not an Ed25519 key")
    return key


def _read_member(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        return archive.read(name)
    except KeyError:
        raise BundleProblem(f"{name} is missing from the bundle") from None


def _hash_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with archive.open(info) as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _manifest(raw: bytes) -> dict[str, Any]:
    try:
        manifest = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BundleProblem(f"{MANIFEST} is not valid JSON ({error})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleProblem(f"{MANIFEST} does not declare the format {FORMAT}")
    files = manifest.get("files")
    if not isinstance(files, list) or not all(
        isinstance(entry, dict)
        and isinstance(entry.get("path"), str)
        and isinstance(entry.get("size"), int)
        and isinstance(entry.get("sha256"), str)
        for entry in files
    ):
        raise BundleProblem(f"{MANIFEST} has no valid list of files (path, size, sha256)")
    return manifest


def verify(
    path: str,
    *,
    key_pem: bytes | None = None,
    expected_fingerprint: str | None = None,
    say: Callable[[str], None] | None = None,
) -> Report:
    """Check the bundle at ``path``; raise BundleProblem naming the first problem."""
    report = Report(lines=[])

    def passed(line: str) -> None:
        report.lines.append(line)
        if say is not None:
            say(f"OK    {line}")

    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as error:
        raise BundleProblem(f"{path} is not a readable ZIP archive ({error})") from None
    with archive:
        names = [info.filename for info in archive.infolist()]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise BundleProblem(f"the archive holds {duplicates[0]} more than once")
        passed(f"{path} is a ZIP archive of {len(names)} files, each name once")

        embedded = _read_member(archive, PUBLIC_KEY)
        if key_pem is not None:
            key = load_public_key(key_pem)
            source = "the key given on the command line"
        else:
            key = load_public_key(embedded)
            source = f"the bundle's own {PUBLIC_KEY}"
        found = fingerprint(key)
        if expected_fingerprint is not None:
            wanted = normal_fingerprint(expected_fingerprint)
            if wanted != found:
                raise BundleProblem(
                    f"the signing key's fingerprint is {found}, not the {wanted} you expected: "
                    "this bundle was not signed by that deployment's key"
                )
            passed(f"the signing key's fingerprint is {found}, as expected")
        elif key_pem is None:
            passed(
                f"the signing key's fingerprint is {found}: compare it with the one the deployment "
                "publishes (or pass --fingerprint)"
            )

        raw = _read_member(archive, MANIFEST)
        try:
            signature = base64.b64decode(_read_member(archive, SIGNATURE).strip(), validate=True)
        except binascii.Error:
            raise BundleProblem(f"{SIGNATURE} is not base64 text") from None
        try:
            key.verify(signature, raw)
        except InvalidSignature:
            raise BundleProblem(
                f"the signature in {SIGNATURE} does not match {MANIFEST} under {source} "
                f"(fingerprint {found}): the manifest was altered, or signed with another key"
            ) from None
        passed(f"{MANIFEST} is signed by the key of fingerprint {found} ({source})")

        manifest = _manifest(raw)
        report.manifest = manifest
        listed = {entry["path"]: entry for entry in manifest["files"]}
        if len(listed) != len(manifest["files"]):
            raise BundleProblem(f"{MANIFEST} lists a file more than once")
        passed(
            f"the manifest: {manifest.get('incident', {}).get('reference', '?')}, "
            f"purpose {manifest.get('purpose', '')!r}, exported by "
            f"{manifest.get('exported_by', {}).get('name', '?')} at {manifest.get('exported_at', '?')}"
        )

        present = {name for name in names if name not in CONTROL_FILES}
        for name in listed:
            if name not in present:
                raise BundleProblem(f"{name} is listed in the manifest but missing from the bundle")
        for name in sorted(present - set(listed)):
            raise BundleProblem(f"{name} is in the bundle but not in the manifest (a file was added)")
        passed(f"the bundle holds exactly the {len(listed)} files the manifest lists")

        for name, entry in listed.items():
            sha256, size = _hash_member(archive, archive.getinfo(name))
            if size != entry["size"]:
                raise BundleProblem(f"{name} has {size} bytes, the manifest says {entry['size']}")
            if sha256 != entry["sha256"]:
                raise BundleProblem(f"{name}'s SHA-256 is {sha256}, the manifest says {entry['sha256']}")
            passed(f"{name}: {size} bytes, SHA-256 {sha256}")
    return report


def main(argv: list[str] | None = None, *, out: Callable[[str], None] = print) -> int:
    parser = argparse.ArgumentParser(description="Verify a Watchpost evidence bundle offline.")
    parser.add_argument("bundle", help="the bundle (.zip)")
    parser.add_argument("--key", help="the deployment's public key (PEM); else the bundle's own is used")
    parser.add_argument("--fingerprint", help="the fingerprint the deployment publishes for its key")
    args = parser.parse_args(argv)
    key_pem = None
    if args.key:
        try:
            with open(args.key, "rb") as file:
                key_pem = file.read()
        except OSError as error:
            out(f"FAILED the public key {args.key} cannot be read ({error.strerror})")
            return 1
    try:
        verify(args.bundle, key_pem=key_pem, expected_fingerprint=args.fingerprint, say=out)
    except BundleProblem as problem:
        out(f"FAILED {problem}")
        return 1
    if key_pem is None and args.fingerprint is None:
        out("VERIFIED, but against the bundle's own key: check its fingerprint above with the deployment's")
    else:
        out("VERIFIED: the signature, every file's hash and the list of files are as exported")
    return 0


if __name__ == "__main__":
    sys.exit(main())
