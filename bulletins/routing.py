"""Websocket route of the sites' live bulletins."""

from django.urls import path

from bulletins.consumers import BulletinConsumer

websocket_urlpatterns = [path("ws/bulletins/", BulletinConsumer.as_asgi(), name="bulletins")]
