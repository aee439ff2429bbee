from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from audit.services import LATE_COMMITS, seal_records


class Command(BaseCommand):
    help = (
        "Seal the committed audit records now (the beat schedule does it every few seconds) and write a "
        "checkpoint when one is due."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--all",
            action="store_true",
            dest="everything",
            help=f"also records written more than {int(LATE_COMMITS.total_seconds() // 60)} minutes before "
            "the last seal (a transaction that committed very late)",
        )

    def handle(self, *args: Any, everything: bool = False, **options: Any) -> None:
        sealed = seal_records(everything=everything)
        self.stdout.write(f"{sealed} audit records sealed")
