"""The deployment's Ed25519 signing key: from EXPORT_SIGNING_KEY (PEM text) or EXPORT_SIGNING_KEY_FILE,
made by `manage.py generate_signing_key`, never committed. Bundles carry its public half; the
fingerprint (exports/verifier.py) is what an investigator compares with the published one."""

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

from exports.verifier import fingerprint


class SigningKeyMissing(Exception):
    """No usable signing key: nothing can be exported until one is configured."""


def _load(pem: bytes, where: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as error:
        raise SigningKeyMissing(f"{where} is not an unencrypted PEM private key ({error}).") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyMissing(f"{where} is not an Ed25519 key.")
    return key


def private_key() -> Ed25519PrivateKey:
    """The signing key, read at each use (a rotated file takes effect without a restart)."""
    if settings.EXPORT_SIGNING_KEY:
        return _load(settings.EXPORT_SIGNING_KEY.encode(), "EXPORT_SIGNING_KEY")
    path = Path(settings.EXPORT_SIGNING_KEY_FILE)
    try:
        pem = path.read_bytes()
    except FileNotFoundError:
        raise SigningKeyMissing(
            f"No signing key: EXPORT_SIGNING_KEY is empty and {path} does not exist. "
            "Run `manage.py generate_signing_key` (or set EXPORT_SIGNING_KEY)."
        ) from None
    return _load(pem, str(path))


def public_key() -> Ed25519PublicKey:
    return private_key().public_key()


def public_key_pem() -> bytes:
    return public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def key_fingerprint() -> str:
    return fingerprint(public_key())


def sign(data: bytes) -> bytes:
    return private_key().sign(data)


def generate_key_file(path: Path, *, overwrite: bool = False) -> Ed25519PrivateKey:
    """Write a new key to ``path``, readable by its owner only; refuses to replace one unless asked."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if overwrite else os.O_EXCL)
    descriptor = os.open(path, flags, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(pem)
    return key
