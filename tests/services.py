"""Which real services this run has. In CI (CI=true or REQUIRE_SERVICES=1) a missing one fails."""

import os
import shutil
from collections.abc import Callable
from functools import cache
from pathlib import Path

import redis
from django.conf import settings
from django.db import connection

REQUIRED = os.environ.get("CI", "").lower() == "true" or os.environ.get("REQUIRE_SERVICES") == "1"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
AXE = Path(__file__).resolve().parents[1] / "node_modules/axe-core/axe.min.js"


@cache
def redis_problem() -> str | None:
    if not settings.REDIS_URL:
        return "REDIS_URL is not set"
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        return f"Redis at REDIS_URL does not answer: {error}"
    return None


def postgres_problem() -> str | None:
    if connection.vendor != "postgresql":
        return "DATABASE_URL does not point to PostgreSQL"
    return None


def browser_problem() -> str | None:
    if not shutil.which(CHROMIUM):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


def axe_problem() -> str | None:
    if not AXE.is_file():
        return "axe-core is not installed in node_modules/ ('make setup-browser' runs npm ci)"
    return None


PROBLEMS: dict[str, Callable[[], str | None]] = {
    "postgres": postgres_problem,
    "redis": redis_problem,
    "worker": redis_problem,
    "browser": browser_problem,
    "axe": axe_problem,
}
