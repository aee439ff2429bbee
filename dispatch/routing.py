"""Websocket routes of the live board (see docs/websocket-protocol.md once it lands)."""

from django.urls import URLPattern

websocket_urlpatterns: list[URLPattern] = []
