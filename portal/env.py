"""Typed readers for the environment: every malformed value stops start-up and names its variable."""

import hashlib
import hmac
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class Env:
    """Reads variables from a mapping (the process environment by default)."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ

    def raw(self, name: str) -> str | None:
        value = self.environ.get(name)
        return None if value is None or value.strip() == "" else value.strip()

    def string(self, name: str, default: str = "") -> str:
        value = self.raw(name)
        return default if value is None else value

    def boolean(self, name: str, default: bool = False) -> bool:
        value = self.raw(name)
        if value is None:
            return default
        lowered = value.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ImproperlyConfigured(f"{name}: expected true or false, got {value!r}")

    def integer(self, name: str, default: int, *, minimum: int | None = None) -> int:
        value = self.raw(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            raise ImproperlyConfigured(f"{name}: expected a whole number, got {value!r}") from None
        if minimum is not None and number < minimum:
            raise ImproperlyConfigured(f"{name}: must be at least {minimum}, got {number}")
        return number

    def key(self, name: str, *, required: bool, derive_from: str, label: str, min_length: int = 32) -> str:
        """A secret key. Unset: an error when ``required``, else one derived from ``derive_from`` for
        ``label`` (domain separation: the derived key reveals nothing about the other)."""
        value = self.raw(name)
        if value is None:
            if required:
                raise ImproperlyConfigured(f"{name}: set a key of its own (at least {min_length} characters)")
            return derived_key(derive_from, label)
        if len(value) < min_length:
            raise ImproperlyConfigured(f"{name}: must be at least {min_length} characters, got {len(value)}")
        if value == derive_from:
            raise ImproperlyConfigured(f"{name}: must differ from the key it would otherwise be derived from")
        return value

    def strings(self, name: str, default: list[str] | None = None) -> list[str]:
        value = self.raw(name)
        if value is None:
            return list(default or [])
        return [item.strip() for item in value.split(",") if item.strip()]

    def networks(self, name: str) -> list[str]:
        """Comma-separated IP addresses or CIDR ranges, normalised (``10.0.0.0/8``, ``::1/128``)."""
        found = []
        for item in self.strings(name):
            try:
                found.append(str(ipaddress.ip_network(item, strict=False)))
            except ValueError:
                raise ImproperlyConfigured(f"{name}: {item!r} is not an IP address or range") from None
        return found

    def database(self, name: str, *, sqlite_default: str) -> dict[str, Any]:
        """A Django DATABASES entry from a URL such as postgres://user:pw@host:5432/db."""
        value = self.raw(name)
        if value is None:
            return _sqlite(sqlite_default)
        return parse_database_url(value, variable=name)

    def redis_urls(self, name: str) -> list[str]:
        """Comma-separated Redis URLs, each checked as ``redis_url`` checks one."""
        return [_redis_url(item, name) for item in self.strings(name)]

    def redis_url(self, name: str) -> str | None:
        value = self.raw(name)
        if value is None:
            return None
        return _redis_url(value, name)


def _redis_url(value: str, name: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in {"redis", "rediss"} or not parts.hostname:
        raise ImproperlyConfigured(f"{name}: expected redis://host:port/db, got {_redact(value)!r}")
    _port(parts, name)
    return value


def derived_key(secret: str, label: str) -> str:
    return hmac.new(secret.encode(), label.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class _Scheme:
    engine: str
    default_port: int | None


_SCHEMES = {
    "postgres": _Scheme("django.db.backends.postgresql", 5432),
    "postgresql": _Scheme("django.db.backends.postgresql", 5432),
    "sqlite": _Scheme("django.db.backends.sqlite3", None),
}


def _sqlite(path: str) -> dict[str, Any]:
    # Several writers share the file (requests, the live sockets, the embedded jobs): a transaction
    # takes the write lock when it begins and waits for it, instead of failing with "database is
    # locked" when a read turns into a write while another connection writes.
    options = {"transaction_mode": "IMMEDIATE", "timeout": 20}
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": path, "OPTIONS": options}


def parse_database_url(value: str, *, variable: str = "DATABASE_URL") -> dict[str, Any]:
    parts = urlsplit(value)
    scheme = _SCHEMES.get(parts.scheme)
    if scheme is None:
        raise ImproperlyConfigured(
            f"{variable}: unsupported scheme {parts.scheme!r} in {_redact(value)!r}; "
            "use postgres://user:password@host:5432/name or sqlite:///path/to/file.sqlite3"
        )
    if scheme.default_port is None:
        path = unquote(parts.path)
        if not path or path == "/":
            raise ImproperlyConfigured(f"{variable}: a sqlite URL needs a file path")
        return _sqlite(path[1:] if path.startswith("//") else path)
    name = unquote(parts.path.lstrip("/"))
    if not parts.hostname or not name:
        raise ImproperlyConfigured(
            f"{variable}: expected postgres://user:password@host:5432/name, got {_redact(value)!r}"
        )
    options: dict[str, Any] = dict(parse_qsl(parts.query))
    pool_max = options.pop("pool_max_size", None)
    pool: dict[str, Any] = {"min_size": 1, "max_size": 10, "timeout": 10}
    if pool_max is not None:
        if not pool_max.isdigit():
            raise ImproperlyConfigured(f"{variable}: pool_max_size must be a whole number")
        pool["max_size"] = int(pool_max)
    options["pool"] = pool
    return {
        "ENGINE": scheme.engine,
        "NAME": name,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname,
        "PORT": str(_port(parts, variable) or scheme.default_port),
        "CONN_MAX_AGE": 0,
        # With the pool: each connection is checked before it is handed out, so one PostgreSQL cut
        # while it was idle in the pool (a restart, pg_terminate_backend) is replaced, not given to
        # a request or a task (portal/worker.py keeps a worker's pool between tasks).
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": options,
    }


def _port(parts: Any, variable: str) -> int | None:
    try:
        port: int | None = parts.port
    except ValueError:
        raise ImproperlyConfigured(f"{variable}: the port is not a number") from None
    return port


def _redact(value: str) -> str:
    parts = urlsplit(value)
    if parts.password:
        return value.replace(f":{parts.password}@", ":***@")
    return value
