"""A bundle's round trip: exported through the service and its worker, verified by the standalone
script (no Django) and by `manage.py verify_bundle`; every kind of tampering is caught and named."""

import hashlib
import json
import zipfile
from io import StringIO
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import CommandError, call_command

from exports import services, signing
from exports.models import Bundle, export_storage
from exports.verifier import fingerprint
from tests.exports.helpers import manifest_of, rewrite, run_script, signature
from tests.incidents.evidence_samples import ORIGIN

pytestmark = pytest.mark.django_db


@pytest.fixture
def bundle(escalated, django_capture_on_commit_callbacks) -> Bundle:
    with django_capture_on_commit_callbacks(execute=True):
        asked = services.request_bundle(
            incident=escalated.incident, by=escalated.world.liaison_x, purpose="Case 2026-4471", origin=ORIGIN
        )
    return Bundle.objects.get(pk=asked.pk)


@pytest.fixture
def bundle_path(bundle) -> Path:
    return Path(export_storage.path(bundle.file.name))


def test_the_liaisons_bundle_is_built_by_the_worker_and_the_standalone_script_verifies_it(
    bundle, bundle_path, escalated
):
    assert bundle.status == Bundle.Status.READY, bundle.error
    assert bundle.sha256 == hashlib.sha256(bundle_path.read_bytes()).hexdigest()
    assert bundle.size == bundle_path.stat().st_size

    result = run_script(bundle_path, "--fingerprint", signing.key_fingerprint())

    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert f"OK    the signing key's fingerprint is {signing.key_fingerprint()}, as expected" in out
    assert "manifest.json is signed by the key" in out
    assert "holds exactly the 6 files the manifest lists" in out  # 2 evidence, 2 custody, incident, timeline
    assert f"SHA-256 {escalated.photo.sha256}" in out
    assert f"SHA-256 {escalated.document.sha256}" in out
    assert out.rstrip().endswith(
        "VERIFIED: the signature, every file's hash and the list of files are as exported"
    )


def test_the_manifest_lists_every_file_with_its_upload_hash_who_exported_it_when_and_why(
    bundle, bundle_path, escalated
):
    manifest = manifest_of(bundle_path)
    world = escalated.world

    assert manifest["purpose"] == "Case 2026-4471"
    assert manifest["exported_by"]["email"] == world.liaison_x.email
    assert manifest["exported_by"]["organization"] == "Agency X"
    assert manifest["exported_by"]["role"] == "liaison"
    assert manifest["incident"]["reference"] == escalated.incident.reference
    assert manifest["signing_key"]["fingerprint"] == signing.key_fingerprint()
    assert manifest["exported_at"]
    kinds = sorted(entry["kind"] for entry in manifest["files"])
    assert kinds == ["custody", "custody", "evidence", "evidence", "incident", "timeline"]
    evidence = {entry["evidence_id"]: entry for entry in manifest["files"] if entry["kind"] == "evidence"}
    for item in (escalated.photo, escalated.document):
        entry = evidence[str(item.public_id)]
        assert entry["sha256"] == entry["sha256_at_upload"] == item.sha256
        assert entry["size"] == item.size
    with zipfile.ZipFile(bundle_path) as archive:
        photo = archive.read(evidence[str(escalated.photo.public_id)]["path"])
        incident = json.loads(archive.read("incident.json"))
        timeline = json.loads(archive.read("timeline.json"))
        custody = json.loads(archive.read(f"custody/{escalated.photo.public_id}.json"))
    assert photo == (Path(escalated.photo.file.path)).read_bytes()  # byte for byte
    assert incident["narrative"] == "Two jackets taken at the entrance"
    assert incident["police_responses"][0]["agency"] == "Agency X"
    assert [entry["kind"] for entry in timeline][:2] == ["created", "submitted"]
    assert "escalated" in [entry["kind"] for entry in timeline]
    assert [event["action"] for event in custody["events"]] == ["uploaded"]


def test_manage_py_verify_bundle_checks_with_the_deployments_key(bundle_path):
    out = StringIO()
    call_command("verify_bundle", str(bundle_path), stdout=out)
    assert "VERIFIED" in out.getvalue()
    assert f"signed by the key of fingerprint {signing.key_fingerprint()}" in out.getvalue()


def test_manage_py_verify_bundle_names_the_first_problem_and_fails(bundle_path, tmp_path):
    target = _evidence_entry(bundle_path)["path"]
    removed = rewrite(bundle_path, tmp_path / "removed.zip", change=lambda n, d: None if n == target else d)
    out = StringIO()

    with pytest.raises(CommandError) as failed:
        call_command("verify_bundle", str(removed), stdout=out)

    assert str(failed.value) == f"FAILED {target} is listed in the manifest but missing from the bundle"
    assert "OK    manifest.json is signed by the key" in out.getvalue()  # what it checked before the problem
    assert "VERIFIED" not in out.getvalue()


def _evidence_entry(path: Path) -> dict:
    return next(entry for entry in manifest_of(path)["files"] if entry["kind"] == "evidence")


def test_a_flipped_byte_in_an_evidence_file_is_named(bundle_path, tmp_path):
    target = _evidence_entry(bundle_path)["path"]

    def flip(name: str, data: bytes) -> bytes:
        if name != target:
            return data
        return data[:100] + bytes([data[100] ^ 0x01]) + data[101:]

    result = run_script(
        rewrite(bundle_path, tmp_path / "flipped.zip", change=flip),
        "--fingerprint",
        signing.key_fingerprint(),
    )

    assert result.returncode == 1
    assert f"FAILED {target}'s SHA-256 is " in result.stdout
    assert "VERIFIED" not in result.stdout


def test_a_removed_file_is_named(bundle_path, tmp_path):
    target = _evidence_entry(bundle_path)["path"]
    tampered = rewrite(bundle_path, tmp_path / "removed.zip", change=lambda n, d: None if n == target else d)

    result = run_script(tampered, "--fingerprint", signing.key_fingerprint())

    assert result.returncode == 1
    assert f"FAILED {target} is listed in the manifest but missing from the bundle" in result.stdout


def test_an_added_file_is_named(bundle_path, tmp_path):
    tampered = rewrite(bundle_path, tmp_path / "added.zip", extra={"evidence/planted.jpg": b"not ours"})

    result = run_script(tampered, "--fingerprint", signing.key_fingerprint())

    assert result.returncode == 1
    assert (
        "FAILED evidence/planted.jpg is in the bundle but not in the manifest (a file was added)"
        in result.stdout
    )


def test_a_file_added_twice_under_a_listed_name_is_named(bundle_path, tmp_path):
    target = _evidence_entry(bundle_path)["path"]
    tampered = rewrite(bundle_path, tmp_path / "twice.zip", extra={target: b"a second copy"})

    result = run_script(tampered, "--fingerprint", signing.key_fingerprint())

    assert result.returncode == 1
    assert f"FAILED the archive holds {target} more than once" in result.stdout


def test_an_altered_manifest_breaks_the_signature(bundle_path, tmp_path):
    def alter(name: str, data: bytes) -> bytes:
        return data.replace(b"Case 2026-4471", b"Case 2026-9999") if name == "manifest.json" else data

    tampered = rewrite(bundle_path, tmp_path / "altered.zip", change=alter)

    result = run_script(tampered, "--fingerprint", signing.key_fingerprint())

    assert result.returncode == 1
    assert "FAILED the signature in manifest.sig does not match manifest.json" in result.stdout
    assert "the manifest was altered, or signed with another key" in result.stdout


def _resigned_with_another_key(bundle_path: Path, target: Path) -> tuple[Path, Ed25519PrivateKey]:
    """The forger's bundle: a file swapped, the manifest updated and signed with their own key."""
    other = Ed25519PrivateKey.generate()
    entry = _evidence_entry(bundle_path)
    forged = b"forged evidence"
    manifest = manifest_of(bundle_path)
    for listed in manifest["files"]:
        if listed["path"] == entry["path"]:
            listed["size"], listed["sha256"] = len(forged), hashlib.sha256(forged).hexdigest()
    raw = json.dumps(manifest).encode()
    pem = other.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    replaced = {
        entry["path"]: forged,
        "manifest.json": raw,
        "manifest.sig": signature(raw, other.sign),
        "signing-key.pem": pem,
    }
    return rewrite(bundle_path, target, change=lambda n, d: replaced.get(n, d)), other


def test_a_bundle_signed_with_another_key_fails_on_the_published_fingerprint(bundle_path, tmp_path):
    tampered, other = _resigned_with_another_key(bundle_path, tmp_path / "other-key.zip")

    result = run_script(tampered, "--fingerprint", signing.key_fingerprint())

    assert result.returncode == 1
    assert (
        f"FAILED the signing key's fingerprint is {fingerprint(other.public_key())}, "
        f"not the {signing.key_fingerprint()} you expected"
    ) in result.stdout
    # Without the fingerprint, the script says plainly that it only checked the bundle's own key.
    unchecked = run_script(tampered)
    assert unchecked.returncode == 0
    assert f"fingerprint is {fingerprint(other.public_key())}: compare it" in unchecked.stdout
    assert "VERIFIED, but against the bundle's own key" in unchecked.stdout


def test_a_bundle_signed_with_another_key_fails_on_the_deployments_public_key(bundle_path, tmp_path):
    tampered, _ = _resigned_with_another_key(bundle_path, tmp_path / "other-key.zip")
    key_file = tmp_path / "deployment.pem"
    key_file.write_bytes(signing.public_key_pem())

    result = run_script(tampered, "--key", key_file)

    assert result.returncode == 1
    assert (
        "FAILED the signature in manifest.sig does not match manifest.json under the key given"
        in result.stdout
    )
    with pytest.raises(CommandError, match="does not match manifest.json"):
        call_command("verify_bundle", str(tampered), stdout=StringIO())


def test_something_that_is_not_a_bundle_is_named(tmp_path):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")

    result = run_script(junk)

    assert result.returncode == 1
    assert "is not a readable ZIP archive" in result.stdout
