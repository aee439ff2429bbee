"""Websocket route of the notification count (every signed-in page's navigation)."""

from django.urls import path

from notifications.consumers import NotificationConsumer

websocket_urlpatterns = [path("ws/notifications/", NotificationConsumer.as_asgi(), name="notifications")]
