"""Websocket routes of the live board and incident pages (protocol: docs/websocket-protocol.md)."""

from django.urls import path

from dispatch.consumers import BoardConsumer, IncidentConsumer

websocket_urlpatterns = [
    path("ws/board/", BoardConsumer.as_asgi(), name="board"),
    path("ws/incidents/<str:incident_id>/", IncidentConsumer.as_asgi(), name="incident"),
]
