"""/healthz: is the database answering, and Redis when one is configured."""

import time

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def _check_redis(url: str) -> str:
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    finally:
        client.close()
    return "redis"


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, dict[str, object]] = {}
    probes = [("database", _check_database)]
    if settings.REDIS_URL:
        url = settings.REDIS_URL
        probes.append(("redis", lambda: _check_redis(url)))
    for name, probe in probes:
        started = time.perf_counter()
        try:
            backend = probe()
        except Exception as exc:
            checks[name] = {"ok": False, "error": exc.__class__.__name__}
        else:
            checks[name] = {"ok": True, "backend": backend}
        checks[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks},
        status=200 if healthy else 503,
    )
