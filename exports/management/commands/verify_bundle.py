from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from exports import signing, verifier


class Command(BaseCommand):
    help = (
        "Verify an evidence bundle: its signature (with this deployment's key unless --key names "
        "another), every file's SHA-256 and size, and that no file was added or removed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("bundle")
        parser.add_argument("--key", help="a public key (PEM) to verify with instead of this deployment's")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["key"]:
            with open(options["key"], "rb") as file:
                key_pem = file.read()
        else:
            try:
                key_pem = signing.public_key_pem()
            except signing.SigningKeyMissing as missing:
                raise CommandError(str(missing)) from None
        try:
            verifier.verify(options["bundle"], key_pem=key_pem, say=self.stdout.write)
        except verifier.BundleProblem as problem:
            raise CommandError(f"FAILED {problem}") from None
        self.stdout.write("VERIFIED: the signature, every file's hash and the list of files are as exported")
