"""Every websocket route of the portal, gathered from the apps that own them."""

from dispatch.routing import websocket_urlpatterns as dispatch_routes

websocket_urlpatterns = [*dispatch_routes]
