from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit.services import verify


class Command(BaseCommand):
    help = "Walk the audit log's hash chain; name the first record altered, inserted or removed."

    def handle(self, *args: Any, **options: Any) -> None:
        checked, problem = verify()
        if problem is not None:
            raise CommandError(f"audit log broken after {checked} good records: {problem}")
        self.stdout.write(self.style.SUCCESS(f"audit log intact: {checked} records, chain verified"))
