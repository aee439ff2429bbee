from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from exports import signing
from exports.verifier import fingerprint


class Command(BaseCommand):
    help = (
        "Make the deployment's Ed25519 key that signs evidence bundles, in EXPORT_SIGNING_KEY_FILE "
        "(readable by its owner only; never commit it), and print its public key's fingerprint."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", help="where to write it (default: EXPORT_SIGNING_KEY_FILE)")
        parser.add_argument("--if-missing", action="store_true", help="keep a key that is already there")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="replace an existing key (bundles signed before keep the old one)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"] or settings.EXPORT_SIGNING_KEY_FILE)
        if path.exists() and not options["replace"]:
            if options["if_missing"]:
                self.stdout.write(f"Signing key kept: {path} (fingerprint {signing.key_fingerprint()})")
                return
            raise CommandError(f"{path} already holds a key: pass --replace to make a new one.")
        key = signing.generate_key_file(path, overwrite=options["replace"])
        self.stdout.write(f"Signing key written to {path}")
        self.stdout.write(f"Fingerprint: {fingerprint(key.public_key())}")
