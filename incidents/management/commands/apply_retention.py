from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from incidents.services.retention import apply_retention


class Command(BaseCommand):
    help = (
        "Delete what each organization keeps no longer (closed incidents, evidence, messages, audit "
        "records), as the nightly task does, with a deletion-ledger row per batch; --dry-run only "
        "reports what would go."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="report what would go; change nothing")

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        report = apply_retention(dry_run=dry_run)
        verb = "would delete" if dry_run else "deleted"
        for (organization, kind), count in report.counts.items():
            first, last = report.ranges[(organization, kind)]
            self.stdout.write(
                f"{organization}: {verb} {count} {kind} (from {first:%Y-%m-%d} to {last:%Y-%m-%d})"
            )
        if not report.counts:
            self.stdout.write("nothing is past retention")
        if not dry_run and report.ledger:
            self.stdout.write(f"{len(report.ledger)} deletion-ledger rows written")
