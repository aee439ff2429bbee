from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from analytics import counts as analytics_counts
from seeding.demo.access import seed_access_flag
from seeding.demo.accounts import DEMO_PASSWORD, seed_accounts
from seeding.demo.alerts import seed_alerts
from seeding.demo.board import seed_board
from seeding.demo.bulletins import seed_bulletins
from seeding.demo.debriefs import seed_debriefs
from seeding.demo.history import seed_history
from seeding.demo.incidents import seed_incidents
from seeding.demo.notifications import seed_policies
from seeding.demo.patrols import seed_patrols
from seeding.demo.people import seed_people_extras
from seeding.demo.preparedness import seed_preparedness


class Command(BaseCommand):
    help = "Create (or top up) the demo organizations, sites and people. Safe to run again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off.")

    def handle(self, *args: Any, force: bool = False, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is off: demo accounts have a published password. Use --force to seed anyway."
            )
        accounts = seed_accounts()
        seed_policies()
        incidents = seed_incidents()
        seed_alerts()
        incidents += seed_board()
        seed_people_extras()
        incidents += seed_debriefs()
        seed_bulletins()
        seed_patrols()
        seed_preparedness()
        incidents += seed_history()
        seed_access_flag()  # reads the history's cleared escalations
        if analytics_counts.is_built():
            analytics_counts.rebuild()  # the history is written in bulk, past the rollup's follow-ups
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready ({incidents} new demo incidents). "
                f"Every demo account's password: {DEMO_PASSWORD}"
            )
        )
        for account in accounts:
            self.stdout.write(f"  {account.email:<30} {account.role!s:<16} {account.organization}")
