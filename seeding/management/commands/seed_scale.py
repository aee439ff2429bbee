import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from seeding import scale


class Command(BaseCommand):
    help = (
        "Fill PostgreSQL with many realistic incidents of separate 'Scale' tenants, for benchmarks "
        "(COPY, with a progress bar). Does nothing when that many are already there."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--incidents", type=int, default=1_000_000, help="How many (default 1,000,000).")
        parser.add_argument(
            "--reset", action="store_true", help="First remove the scale tenants' incidents (any number)."
        )
        parser.add_argument(
            "--top-up",
            action="store_true",
            help="Add incidents on top of fewer that are there until there are N (a bench at two sizes).",
        )

    def handle(self, *args: Any, incidents: int, reset: bool, top_up: bool = False, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError(
                "seed_scale writes with PostgreSQL's COPY: set DATABASE_URL to a PostgreSQL database."
            )
        if incidents < 1:
            raise CommandError("--incidents: at least 1.")
        self.stderr.ending = ""  # the progress bar ends its own lines
        started = time.monotonic()
        existing = scale.scale_incidents().count()
        if existing and top_up and existing < incidents and not reset:
            counts = scale.seed(total=incidents - existing, out=self.stderr, batch=existing)
            rows = ", ".join(f"{count:,} {label.split('.')[-1]}" for label, count in counts.items())
            self.stdout.write(self.style.SUCCESS(f"Added {rows} in {time.monotonic() - started:.0f} s."))
            return
        if existing and reset:
            scale.reset(out=self.stderr)
        elif existing == incidents:
            self.stdout.write(f"{existing:,} scale incidents already there: nothing to do (--reset to redo).")
            return
        elif existing:
            raise CommandError(
                f"{existing:,} scale incidents are there, not {incidents:,}: add --reset to replace them."
            )
        counts = scale.seed(total=incidents, out=self.stderr)
        rows = ", ".join(f"{count:,} {label.split('.')[-1]}" for label, count in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Seeded {rows} in {time.monotonic() - started:.0f} s."))
