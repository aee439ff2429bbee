"""The hotspot map's base: without a tile server nothing is fetched (a plain projection); with the
operator's HOTSPOT_TILE_URL the clusters lie on its tiles (Web Mercator, the servers' own tile
numbering), and only its origin joins the Content-Security-Policy's img-src."""

import json
import os
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from accounts.models import Role
from tests.factories import SiteFactory, member, report

ROOT = Path(__file__).resolve().parents[2]
TILES = "https://tiles.example:8443/osm/{z}/{x}/{y}.png"
SHOW = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps([s.HOTSPOT_TILE_URL, s.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src']]))"
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


def test_by_default_no_tile_server_and_no_other_image_source(tmp_path):
    result = boot(tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == ["", ["'self'", "data:", "blob:"]]


def test_the_tile_servers_origin_only_joins_img_src(tmp_path):
    result = boot(tmp_path, HOTSPOT_TILE_URL=TILES)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [TILES, ["'self'", "data:", "blob:", "https://tiles.example:8443"]]


def test_an_address_that_cannot_work_stops_start_up(tmp_path):
    result = boot(tmp_path, HOTSPOT_TILE_URL="https://tiles.example/{z}/{x}.png")
    assert result.returncode != 0
    assert "HOTSPOT_TILE_URL: give an http(s) address with {z}, {x} and {y}" in result.stderr


@pytest.fixture
def manhattan(db):
    site = SiteFactory(name="Battery Park", latitude=Decimal("40.712800"), longitude=Decimal("-74.006000"))
    guard = member(Role.GUARD, site.provider, sites=(site,))
    report(
        guard,
        site,
        occurred_at=timezone.now() - timedelta(days=3),
        latitude=Decimal("40.712800"),
        longitude=Decimal("-74.006000"),
    )
    return member(Role.SUPERVISOR, site.provider)


def _map(client, user) -> str:
    client.force_login(user)
    page = client.get("/analytics/").content.decode()
    return page[
        page.index('<svg class="chart map"') : page.index("</svg>", page.index('<svg class="chart map"'))
    ]


def test_without_a_tile_server_the_map_fetches_nothing(manhattan, client, settings):
    settings.HOTSPOT_TILE_URL = ""
    drawn = _map(client, manhattan)
    assert '<circle class="cluster"' in drawn
    assert "<image" not in drawn
    assert "plain projection: no map tiles are fetched" in client.get("/analytics/").content.decode()


def test_with_a_tile_server_the_clusters_lie_on_its_tiles(manhattan, client, settings):
    settings.HOTSPOT_TILE_URL = TILES
    drawn = _map(client, manhattan)
    # One place (the site and its incident): the closest zoom, 18; lower Manhattan's tile there is
    # x 77182, y 98561 in the standard numbering (at zoom 16: 19295, 24640).
    assert 'href="https://tiles.example:8443/osm/18/77182/98561.png"' in drawn
    assert drawn.count("<image") <= 5 * 4  # only the tiles under the 720 x 420 drawing
    assert '<circle class="cluster"' in drawn
    assert "on the base map of tiles.example:8443" in client.get("/analytics/").content.decode()
