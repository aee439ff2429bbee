"""Every websocket route of the portal, gathered from the apps that own them, and the stack a socket
passes through before its consumer."""

from typing import Any

from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter

from accounts.websocket import SessionRulesMiddleware
from bulletins.routing import websocket_urlpatterns as bulletin_routes
from dispatch.routing import websocket_urlpatterns as dispatch_routes
from notifications.routing import websocket_urlpatterns as notification_routes
from patrols.routing import websocket_urlpatterns as patrol_routes
from portal.requests import SameOrigin

websocket_urlpatterns = [*dispatch_routes, *notification_routes, *bulletin_routes, *patrol_routes]


def websocket_application() -> Any:
    """This site's pages only (Origin), then the session's user and its rules, then the route."""
    return SameOrigin(AuthMiddlewareStack(SessionRulesMiddleware(URLRouter(websocket_urlpatterns))))
