from typing import Any

from django.core.management.base import BaseCommand

from audit.services import seal_records


class Command(BaseCommand):
    help = (
        "Seal the committed audit records now (the beat schedule does it every 2 s) and write a checkpoint "
        "when one is due."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        sealed = seal_records()
        self.stdout.write(f"{sealed} audit records sealed")
