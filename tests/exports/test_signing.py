"""The deployment's signing key: made by `manage.py generate_signing_key` (owner-only, never replaced
unless asked), or handed over as PEM text in EXPORT_SIGNING_KEY, which then signs the bundles and is
the key published at the well-known address; a key that is not one is said and nothing is exported."""

import stat
from io import StringIO

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from exports import services, signing
from exports.models import Bundle, export_storage
from exports.verifier import fingerprint
from tests.exports.helpers import run_script
from tests.incidents.evidence_samples import ORIGIN

pytestmark = pytest.mark.django_db


def _generate(*args: str) -> str:
    out = StringIO()
    call_command("generate_signing_key", *args, stdout=out)
    return out.getvalue()


def test_the_command_writes_a_key_only_its_owner_reads_and_prints_its_fingerprint(settings, tmp_path):
    settings.EXPORT_SIGNING_KEY_FILE = tmp_path / "keys" / "signing.pem"

    out = _generate()

    path = settings.EXPORT_SIGNING_KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert f"Fingerprint: {signing.key_fingerprint()}" in out


def test_the_command_never_replaces_a_key_unless_told(settings, tmp_path):
    settings.EXPORT_SIGNING_KEY_FILE = tmp_path / "signing.pem"
    _generate()
    first = signing.key_fingerprint()

    with pytest.raises(CommandError, match="already holds a key: pass --replace"):
        _generate()
    assert f"Signing key kept: {settings.EXPORT_SIGNING_KEY_FILE} (fingerprint {first})" in _generate(
        "--if-missing"
    )
    assert signing.key_fingerprint() == first

    _generate("--replace")
    assert signing.key_fingerprint() != first


def test_a_key_from_the_environment_signs_the_bundle_and_is_the_published_one(
    client, settings, escalated, django_capture_on_commit_callbacks
):
    key = Ed25519PrivateKey.generate()
    settings.EXPORT_SIGNING_KEY = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    expected = fingerprint(key.public_key())
    file_key = serialization.load_pem_private_key(settings.EXPORT_SIGNING_KEY_FILE.read_bytes(), None)
    assert expected != fingerprint(file_key.public_key())  # the file's key is there, and not used

    with django_capture_on_commit_callbacks(execute=True):
        asked = services.request_bundle(
            incident=escalated.incident, by=escalated.world.liaison_x, purpose="Case 2026-4471", origin=ORIGIN
        )
    bundle = Bundle.objects.get(pk=asked.pk)

    assert (bundle.status, bundle.key_fingerprint) == (Bundle.Status.READY, expected)
    result = run_script(export_storage.path(bundle.file.name), "--fingerprint", expected)
    assert result.returncode == 0, result.stdout + result.stderr
    published = client.get(reverse("exports:public_key"))
    assert reverse("exports:public_key") == "/.well-known/watchpost-signing-key.pem"
    assert published["X-Key-Fingerprint"] == expected


@pytest.mark.parametrize(
    ("pem", "problem"),
    [
        ("not a key", "EXPORT_SIGNING_KEY is not an unencrypted PEM private key"),
        (
            Ed25519PrivateKey.generate()
            .public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode(),
            "EXPORT_SIGNING_KEY is not an unencrypted PEM private key",
        ),
    ],
)
def test_a_key_in_the_environment_that_is_not_one_is_said_and_nothing_is_exported(
    settings, escalated, pem, problem
):
    settings.EXPORT_SIGNING_KEY = pem

    with pytest.raises(ValidationError, match=f"Bundles cannot be signed yet: {problem}"):
        services.request_bundle(
            incident=escalated.incident, by=escalated.world.liaison_x, purpose="Case 2026-4471", origin=ORIGIN
        )
    assert not Bundle.objects.exists()
