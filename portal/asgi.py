import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402  (Django must be set up first)

from portal.celery import start_embedded_beat  # noqa: E402
from portal.requests import TrustedProxies  # noqa: E402
from portal.routing import websocket_application  # noqa: E402

# Forwarded headers are read here, for pages and sockets alike, and only from TRUSTED_PROXIES
# (the server runs without daphne's --proxy-headers, which would believe any client).
application = TrustedProxies(
    ProtocolTypeRouter({"http": django_asgi_app, "websocket": websocket_application()})
)

# The embedded default has no beat process: its periodic tasks (timers, outbox sweep) run here.
start_embedded_beat()
