"""Absolute links to the portal, for emails and messages read elsewhere (invitations, password
resets, notifications): at the address the portal is served on.

``PUBLIC_URL``, when set, is that address. Otherwise a link made while answering a request uses the
request's own scheme, host and port (so `make run PORT=8080`, or a proxy that passes the public
``Host`` on, gives links that work), and one made without a request falls back to ``HOST`` and
``PORT``. The ground: imports no app.
"""

from django.conf import settings
from django.http import HttpRequest


def site_url(request: HttpRequest | None = None) -> str:
    """The portal's address, without a trailing slash: ``https://watchpost.example.org``."""
    if settings.PUBLIC_URL_IS_SET or request is None:
        return str(settings.PUBLIC_URL).rstrip("/")
    return f"{request.scheme}://{request.get_host()}"


def absolute_url(path: str, *, request: HttpRequest | None = None) -> str:
    """``path`` (which starts with a slash) at the portal's address."""
    return site_url(request) + path
