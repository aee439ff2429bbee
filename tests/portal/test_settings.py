"""Start-up in a fresh interpreter, with exactly the environment given."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOW = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps([s.DATABASES['default']['ENGINE'], s.CHANNEL_LAYERS['default']['BACKEND'], "
    "s.CELERY_TASK_ALWAYS_EAGER, s.EMAIL_BACKEND, s.DEBUG]))"
)


def boot(tmp_path: Path, **environ: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "portal.settings", **environ}
    env.setdefault("DATA_DIR", str(tmp_path))
    return subprocess.run(
        [sys.executable, "-c", SHOW], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_the_embedded_default_boots_with_an_empty_environment(tmp_path):
    result = boot(tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        "django.db.backends.sqlite3",
        "channels.layers.InMemoryChannelLayer",
        True,
        "django.core.mail.backends.console.EmailBackend",
        True,
    ]


def test_service_urls_switch_to_postgres_and_redis(tmp_path):
    result = boot(
        tmp_path,
        DATABASE_URL="postgres://u@127.0.0.1:5432/x",
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    assert result.returncode == 0, result.stderr
    engine, layer, eager, _, _ = json.loads(result.stdout)
    assert (engine, layer, eager) == (
        "django.db.backends.postgresql",
        "channels_redis.core.RedisChannelLayer",
        False,
    )


def test_a_malformed_database_url_stops_start_up_naming_it(tmp_path):
    result = boot(tmp_path, DATABASE_URL="postgress:/nowhere")
    assert result.returncode != 0
    assert "ImproperlyConfigured: DATABASE_URL: unsupported scheme 'postgress'" in result.stderr


def test_debug_off_refuses_the_default_secret_key(tmp_path):
    result = boot(tmp_path, DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY: set a secret key of your own" in result.stderr


def test_debug_off_refuses_to_start_without_an_audit_key(tmp_path):
    result = boot(tmp_path, DEBUG="false", SECRET_KEY="x" * 50)
    assert result.returncode != 0
    assert "ImproperlyConfigured: AUDIT_KEY: set a key of its own" in result.stderr


@pytest.mark.parametrize(
    ("value", "message"),
    [("short", "AUDIT_KEY: must be at least 32 characters, got 5"), ("x" * 50, "AUDIT_KEY: must differ")],
)
def test_a_weak_audit_key_stops_start_up(tmp_path, value, message):
    result = boot(tmp_path, DEBUG="false", SECRET_KEY="x" * 50, AUDIT_KEY=value)
    assert result.returncode != 0
    assert message in result.stderr


def test_debug_off_with_a_secret_key_boots(tmp_path):
    result = boot(tmp_path, DEBUG="false", SECRET_KEY="x" * 50, AUDIT_KEY="y" * 50)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)[-1] is False


def test_env_example_lists_every_variable_the_settings_read():
    settings_source = (ROOT / "portal" / "settings.py").read_text()
    example = (ROOT / ".env.example").read_text()
    read = set(re.findall(r'env\.\w+\(\s*"([A-Z_]+)"', settings_source))
    listed = set(re.findall(r"^([A-Z_]+)=", example, re.MULTILINE))
    assert read, "the settings read no variable?"
    assert read <= listed, f"missing from .env.example: {sorted(read - listed)}"


def test_an_api_token_default_beyond_the_maximum_stops_start_up(tmp_path):
    result = boot(tmp_path, API_TOKEN_DEFAULT_DAYS="400", API_TOKEN_MAX_DAYS="365")
    assert result.returncode != 0
    assert "API_TOKEN_DEFAULT_DAYS: must not be longer than API_TOKEN_MAX_DAYS" in result.stderr


SHOW_LINKS = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps([s.PUBLIC_URL, s.PUBLIC_URL_IS_SET, s.ACCOUNT_RATE_LIMITS['login_failed']]))"
)


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, ["http://127.0.0.1:8000", False, "5/10m/ip,5/10m/key"]),
        ({"PORT": "8080"}, ["http://127.0.0.1:8080", False, "5/10m/ip,5/10m/key"]),
        ({"HOST": "0.0.0.0", "PORT": "9000"}, ["http://localhost:9000", False, "5/10m/ip,5/10m/key"]),  # noqa: S104
        (
            {"PUBLIC_URL": "https://watchpost.example.org/", "LOGIN_FAILURES_ALLOWED": "3"},
            ["https://watchpost.example.org", True, "3/10m/ip,3/10m/key"],
        ),
        ({"LOGIN_LOCKOUT_MINUTES": "15"}, ["http://127.0.0.1:8000", False, "5/15m/ip,5/15m/key"]),
    ],
)
def test_links_follow_port_and_public_url_and_the_lockout_its_settings(tmp_path, environ, expected):
    """Without PUBLIC_URL, links made outside a request use where `make run` listens (PORT)."""
    env = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "portal.settings", "DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", SHOW_LINKS],
        cwd=ROOT,
        env={**env, **environ},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == expected


SHOW_SCALE_OUT = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps([[h['address'] for h in s.CHANNEL_LAYERS['default']['CONFIG']['hosts']], "
    "sorted(s.DATABASES), s.DATABASE_ROUTERS, s.MIDDLEWARE[0]]))"
)


def test_channel_shards_and_a_replica_come_from_the_environment(tmp_path):
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DATA_DIR": str(tmp_path),
        "REDIS_URL": "redis://127.0.0.1:6379/3",
        "REDIS_CHANNEL_URLS": "redis://r1:6379/0, redis://r2:6380/0",
        "DATABASE_REPLICA_URL": "postgres://app@replica:5432/watchpost",
    }
    result = subprocess.run(
        [sys.executable, "-c", SHOW_SCALE_OUT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        ["redis://r1:6379/0", "redis://r2:6380/0"],
        ["default", "replica"],
        ["portal.db.PrimaryReplicaRouter"],
        "portal.db.ReplicaScopeMiddleware",
    ]


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (
            {"REDIS_URL": "redis://127.0.0.1:6379/3", "REDIS_CHANNEL_URLS": "redis://r1:6379/0,http://r2/"},
            "REDIS_CHANNEL_URLS: expected redis://host:port/db",
        ),
        ({"REDIS_CHANNEL_URLS": "redis://r1:6379/0"}, "REDIS_CHANNEL_URLS: set REDIS_URL too"),
        ({"DATABASE_REPLICA_URL": "mysql://replica/watchpost"}, "DATABASE_REPLICA_URL"),
    ],
)
def test_a_bad_scale_out_setting_stops_start_up_with_its_name(tmp_path, environ, message):
    result = boot(tmp_path, **environ)
    assert result.returncode != 0
    assert message in result.stderr
