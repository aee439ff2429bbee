"""The board's settings at start-up, in a fresh interpreter: a tile server must be a usable address,
and only its origin joins the Content-Security-Policy."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOW = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps([s.BOARD_TILE_URL, s.BOARD_RECENT_HOURS, "
    "s.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src']]))"
)


def boot(tmp_path: Path, **environ: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "portal.settings", "DATA_DIR": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "-c", SHOW],
        cwd=ROOT,
        env={**env, **environ},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_without_a_tile_server_the_map_fetches_nothing(tmp_path):
    result = boot(tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == ["", 12, ["'self'", "data:", "blob:"]]


def test_a_tile_server_joins_the_image_sources_by_its_origin(tmp_path):
    result = boot(
        tmp_path, BOARD_TILE_URL="https://tiles.example:8443/osm/{z}/{x}/{y}.png", BOARD_RECENT_HOURS="4"
    )
    assert result.returncode == 0, result.stderr
    url, hours, images = json.loads(result.stdout)
    assert url == "https://tiles.example:8443/osm/{z}/{x}/{y}.png"
    assert hours == 4
    assert images == ["'self'", "data:", "blob:", "https://tiles.example:8443"]


@pytest.mark.parametrize(
    "value",
    ["tiles.example/{z}/{x}/{y}.png", "ftp://tiles.example/{z}/{x}/{y}", "https://tiles.example/{z}/{x}.png"],
)
def test_a_tile_server_address_that_cannot_work_stops_start_up(tmp_path, value):
    result = boot(tmp_path, BOARD_TILE_URL=value)
    assert result.returncode != 0
    assert (
        "ImproperlyConfigured: BOARD_TILE_URL: give an http(s) address with {z}, {x} and {y}" in result.stderr
    )


def test_recent_hours_must_be_a_positive_number(tmp_path):
    result = boot(tmp_path, BOARD_RECENT_HOURS="0")
    assert result.returncode != 0
    assert "BOARD_RECENT_HOURS" in result.stderr
