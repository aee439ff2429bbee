from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from seeding.demo.accounts import demo_totp_code


class Command(BaseCommand):
    help = "Print the current two-factor code of the demo liaisons and admins (DEBUG only)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("DEBUG is off: there are no demo accounts to print a code for.")
        self.stdout.write(demo_totp_code())
