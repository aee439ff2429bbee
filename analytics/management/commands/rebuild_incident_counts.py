import time
from typing import Any

from django.core.management.base import BaseCommand

from analytics import counts


class Command(BaseCommand):
    help = (
        "Count every incident afresh into the trends' rollup (after deploying it, or after a bulk load "
        "such as seed_scale). Until it has run once, the trends are counted from the incidents."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        placed = counts.rebuild()
        self.stdout.write(
            self.style.SUCCESS(f"Counted {placed:,} incidents in {time.monotonic() - started:.0f} s.")
        )
