"""HTML to PDF with WeasyPrint, fetching only the project's own bundled static files (debriefs and
daily activity reports). The ground: imports no app.

Imported only where a PDF is rendered: WeasyPrint needs Pango and HarfBuzz, which only the rendering
worker must have."""

import mimetypes
import posixpath
from pathlib import Path
from urllib.parse import unquote, urlsplit

import weasyprint
from django.conf import settings
from django.contrib.staticfiles import finders
from weasyprint.urls import URLFetcher, URLFetcherResponse

# Relative and root-relative URLs (what `{% static %}` writes) resolve against this origin, which
# the fetcher below maps to the staticfiles finders; it is never looked up on a network.
BUNDLED_ORIGIN = "https://bundled.invalid"


class BundledStaticFetcher(URLFetcher):
    """Serve the static files the finders know under STATIC_URL; refuse every other URL."""

    def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
        path = _bundled_path(url)
        if path is None:
            # WeasyPrint logs the refusal and renders the document without the resource.
            raise ValueError(f"Only bundled static files are fetched, not {url[:200]}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})


def _bundled_path(url: str) -> Path | None:
    parts = urlsplit(url)
    if f"{parts.scheme}://{parts.netloc}" != BUNDLED_ORIGIN:
        return None
    prefix = "/" + settings.STATIC_URL.strip("/") + "/"
    path = unquote(parts.path)
    if not path.startswith(prefix):
        return None
    relative = path.removeprefix(prefix)
    # No "..", no doubled or trailing slashes: a name the finders may resolve, nothing that climbs.
    if not relative or posixpath.normpath(relative) != relative or relative.startswith("/"):
        return None
    found = finders.find(relative)
    return Path(found) if isinstance(found, str) else None


def html_to_pdf(html: str) -> bytes:
    """The PDF of an HTML document whose only fetched resources are bundled static files."""
    document = weasyprint.HTML(string=html, base_url=BUNDLED_ORIGIN + "/", url_fetcher=BundledStaticFetcher())
    return bytes(document.write_pdf())
