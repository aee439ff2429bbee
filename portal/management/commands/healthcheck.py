import json
import urllib.error
import urllib.request
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Ask a running web process's /healthz; exits non-zero unless it answers healthy."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000/healthz")
        parser.add_argument("--timeout", type=float, default=5.0)

    def handle(self, *args: Any, url: str, timeout: float, **options: Any) -> None:
        if not url.startswith(("http://", "https://")):
            raise CommandError("--url must be an http(s) URL")
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (scheme checked)
                body = json.load(response)
        except urllib.error.HTTPError as error:
            raise CommandError(f"unhealthy: HTTP {error.code} {error.read().decode()[:500]}") from None
        except (OSError, ValueError) as error:
            raise CommandError(f"no answer from {url}: {error}") from None
        self.stdout.write(json.dumps(body))
