"""The installable guard app (portal/webapp.py): the manifest, the service worker at the site's root,
the offline page, and the strict CSP that lets them in and nothing else."""

import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from PIL import Image

from portal import webapp


def worker_config(body: str) -> dict:
    """The configuration the worker's view writes into it (its version, what it keeps)."""
    found = re.search(r"^const CONFIG = (\{.*\});$", body, re.MULTILINE)
    assert found, "no CONFIG line in /sw.js"
    return json.loads(found.group(1))


def test_the_manifest_is_served_as_a_web_app_manifest_to_anyone(client, db):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["start_url"] == "/"
    assert manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert {icon["sizes"] for icon in manifest["icons"]} >= {"192x192", "512x512"}
    assert any(icon.get("purpose") == "maskable" for icon in manifest["icons"])


def test_the_manifests_icons_are_real_pngs_of_their_stated_size(client, db):
    for icon in json.loads(client.get("/manifest.webmanifest").content)["icons"]:
        path = finders.find(icon["src"].removeprefix("/static/"))
        assert path, f"{icon['src']} is not a static file"
        with Image.open(path) as image:
            assert image.format == "PNG"
            assert f"{image.width}x{image.height}" == icon["sizes"]


def test_the_service_worker_is_served_from_the_root_with_its_headers(client, db):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    assert response["X-Content-Type-Options"] == "nosniff"
    body = response.content.decode()
    # A module worker that imports the outbox's store by its static URL, and names its version.
    assert re.search(r'^import \{ addItem \} from "/static/js/outbox-store\.js";$', body, re.MULTILINE)
    config = worker_config(body)
    assert config["pages"] == ["/", reverse("incidents:report")]
    assert config["offline"] == "/offline/"
    assert "/static/js/outbox.js" in config["precache"]
    for url in config["precache"]:
        assert finders.find(url.removeprefix("/static/")), f"the worker precaches a missing file: {url}"


def test_the_service_workers_version_follows_the_release_or_the_static_files(client, db, tmp_path, settings):
    def version() -> str:
        return worker_config(client.get("/sw.js").content.decode())["version"]

    with override_settings(APP_RELEASE="2026.12.1"):
        assert version() == "2026.12.1"
    with override_settings(APP_RELEASE="2026.12.2"):
        assert version() == "2026.12.2"
    # Development: a static file changed is a new worker (and new caches) at the next check.
    folder = tmp_path / "static"
    folder.mkdir()
    (folder / "app.js").write_text("one")
    with override_settings(APP_RELEASE="", DEBUG=True, STATICFILES_DIRS=[folder]):
        first = version()
        (folder / "app.js").write_text("two, longer")
        assert version() != first
    # Production: the collected files' manifest, read once per process.
    root = tmp_path / "collected"
    root.mkdir()
    (root / "staticfiles.json").write_text('{"paths": {"a.js": "a.1.js"}}')
    webapp._fingerprint_once.cache_clear()
    with override_settings(APP_RELEASE="", DEBUG=False, STATIC_ROOT=root):
        collected = webapp.deploy_version()
        assert collected == webapp.deploy_version()
        webapp._fingerprint_once.cache_clear()
        (root / "staticfiles.json").write_text('{"paths": {"a.js": "a.2.js"}}')
        assert webapp.deploy_version() != collected
    webapp._fingerprint_once.cache_clear()


def test_the_csp_lets_in_this_origins_worker_and_manifest_only(client, world):
    client.force_login(world.guard_a)
    response = client.get(reverse("incidents:report"))
    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    assert policy["worker-src"] == "'self'"
    assert policy["manifest-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    page = response.content.decode()
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert 'data-sw="/sw.js"' in page
    # Who files no report gets neither the worker nor the outbox (a liaison's board).
    client.force_login(world.liaison_x)
    assert "data-sw=" not in client.get(reverse("dispatch:board")).content.decode()


@pytest.mark.parametrize("who", [None, "guard_a"])
def test_the_offline_page_opens_for_anyone_and_points_to_the_report_form(client, world, who):
    if who:
        client.force_login(getattr(world, who))
    response = client.get("/offline/")
    assert response.status_code == 200
    assert reverse("incidents:report") in response.content.decode()
    assert "use your radio or phone" in response.content.decode()


def test_in_production_the_worker_names_the_collected_files_by_their_hashed_and_plain_names(
    client, db, tmp_path, settings
):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    body = client.get("/sw.js").content.decode()
    store = re.search(
        r'^import \{ addItem \} from "(/static/js/outbox-store\.[0-9a-f]{12}\.js)";$', body, re.M
    )
    assert store, "the worker imports the store by its hashed name"
    config = worker_config(body)
    # The pages' tags use hashed names; the modules they import ask for the plain ones.
    assert "/static/js/evidence.js" in config["precache"]
    assert "/static/vendor/noble-hashes/sha2.js" in config["precache"]
    hashed = [url for url in config["precache"] if re.search(r"\.[0-9a-f]{12}\.", url)]
    assert len(hashed) == len(webapp.PRECACHED_STATIC)
    for url in config["precache"]:
        assert (tmp_path / url.removeprefix("/static/")).is_file(), url
    icons = json.loads(client.get("/manifest.webmanifest").content)["icons"]
    assert all(re.search(r"\.[0-9a-f]{12}\.png$", icon["src"]) for icon in icons)
