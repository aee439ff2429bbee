"""Every websocket route of the portal, gathered from the apps that own them."""

from dispatch.routing import websocket_urlpatterns as dispatch_routes
from notifications.routing import websocket_urlpatterns as notification_routes

websocket_urlpatterns = [*dispatch_routes, *notification_routes]
