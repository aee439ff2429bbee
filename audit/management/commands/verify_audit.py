from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit import checkpoints
from audit.services import UNSEALED_WARNING, verify


class Command(BaseCommand):
    help = (
        "Verify the audit log: every record's MAC, the sealed chain in order, and the chain against the "
        "signed checkpoint that reached furthest; name the first record altered, inserted or removed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--checkpoints",
            dest="checkpoint_file",
            type=Path,
            help="a file of checkpoint lines, such as a copy kept elsewhere or a syslog export "
            "(default: AUDIT_CHECKPOINT_FILE)",
        )

    def handle(self, *args: Any, checkpoint_file: Path | None = None, **options: Any) -> None:
        if checkpoint_file is not None and not checkpoint_file.is_file():
            raise CommandError(f"--checkpoints: no such file: {checkpoint_file}")
        source = checkpoint_file or checkpoints.path()
        result = verify(checkpoint_file=source)
        if result.forged_checkpoints:
            self.stderr.write(
                f"warning: {result.forged_checkpoints} lines of {source} look like checkpoints but their "
                "MAC does not hold (forged, or made with another key): ignored"
            )
        if result.problem is not None:
            raise CommandError(f"audit log broken after {result.sealed} good records: {result.problem}")
        if result.checkpoint is None:
            self.stderr.write(
                f"warning: no valid checkpoint in {source}: a cut tail or an emptied log would not show"
            )
        if result.stale:
            self.stderr.write(
                f"warning: {result.stale} records are older than {int(UNSEALED_WARNING.total_seconds())} s "
                "and not sealed yet: is the sealer running (make beat and make worker)?"
            )
        anchored = (
            f"; checkpoint of {result.checkpoint.at.isoformat()} at seal #{result.checkpoint.seq} matches"
            if result.checkpoint is not None
            else ""
        )
        deleted = (
            f" ({result.deleted} of them deleted by retention, their seals held by the deletion ledger)"
            if result.deleted
            else ""
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"audit log intact: {result.sealed} records sealed and verified{deleted}{anchored}; "
                f"{result.unsealed} awaiting the sealer, their MACs valid"
            )
        )
