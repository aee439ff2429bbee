"""The installable guard app (docs/OFFLINE.md): the web app manifest, the service worker at the site's
root, and the page a phone shows for a page it has not saved when the network is down."""

import hashlib
import json
from functools import cache
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import get_template, render_to_string
from django.templatetags.static import PrefixNode, static
from django.urls import reverse
from django.views.decorators.http import require_GET

SERVICE_WORKER_TEMPLATE = "portal/service_worker.js"
# What the service worker keeps from its installation on: the files the guard's pages load (with the
# modules they import), so that the first page opened offline has all of them.
PRECACHED_STATIC = (
    "css/app.css",
    "img/watchpost.svg",
    "img/app/icon-192.png",
    "js/outbox.js",
    "js/outbox-store.js",
    "js/report.js",
    "js/evidence.js",
    "vendor/noble-hashes/sha2.js",
    "vendor/noble-hashes/_md.js",
    "vendor/noble-hashes/_u64.js",
    "vendor/noble-hashes/utils.js",
    "js/panic.js",
    "js/bulletins.js",
    "js/notifications.js",
    "js/live.js",
    "js/clock.js",
    "js/alert-sounds.js",
    "js/error-summary.js",
)


def _static_fingerprint() -> str:
    """What changes with every deploy of the static files: the manifest of their hashed names when
    they are collected (production), else the size and time of each source file (development)."""
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    digest = hashlib.sha256()
    if not settings.DEBUG and manifest.exists():
        digest.update(manifest.read_bytes())
    else:
        for folder in settings.STATICFILES_DIRS:
            for path in sorted(Path(folder).rglob("*")):
                if path.is_file():
                    stat = path.stat()
                    digest.update(f"{path.relative_to(folder)}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    template = get_template(SERVICE_WORKER_TEMPLATE).template.source  # type: ignore[attr-defined]
    digest.update(template.encode())
    return digest.hexdigest()[:16]


_fingerprint_once = cache(_static_fingerprint)


def deploy_version() -> str:
    """The service worker's version: APP_RELEASE when the deploy names itself, else the static files'
    fingerprint (computed once per process in production, on every call in development)."""
    if settings.APP_RELEASE:
        return settings.APP_RELEASE
    return _static_fingerprint() if settings.DEBUG else _fingerprint_once()


@login_not_required
@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    icon = staticfiles_storage.url
    body = {
        "name": "Watchpost",
        "short_name": "Watchpost",
        "description": "Report incidents and call for help from the site you guard.",
        "id": "/",
        "start_url": reverse("home"),
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#f6f7f9",
        "theme_color": "#1d4ed8",
        "icons": [
            {"src": icon("img/app/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": icon("img/app/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": icon("img/app/icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
        "shortcuts": [{"name": "Report an incident", "url": reverse("incidents:report")}],
    }
    response = HttpResponse(json.dumps(body, indent=2), content_type="application/manifest+json")
    response["Cache-Control"] = "no-cache"
    return response


@login_not_required
@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    prefix = PrefixNode.handle_simple("STATIC_URL")  # "/static/", as static() writes it
    config = {
        "version": deploy_version(),
        "static_prefix": prefix,
        # Each by its hashed name (the pages' tags) and its plain one (what modules import: the storage
        # does not rewrite import statements); the same URL in development.
        "precache": sorted({url for name in PRECACHED_STATIC for url in (static(name), prefix + name)}),
        # Network first, the last copy when offline: the guard's pages that must open in a basement.
        "pages": [reverse("home"), reverse("incidents:report")],
        "offline": reverse("offline"),
        "report": reverse("incidents:report"),
        # A new person signing in or out: the saved pages of the one before are deleted.
        "session_paths": [reverse("account_login"), reverse("account_logout")],
    }
    # A module worker may not import() at run time: the store's URL is written into its import.
    context = {"config": json.dumps(config), "outbox_store": static("js/outbox-store.js")}
    body = render_to_string(SERVICE_WORKER_TEMPLATE, context)
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    # Browsers check for a new worker on every navigation; no-cache makes them ask the server.
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/"
    return response


@login_not_required
@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/offline.html")
