"""The notification socket: a person's unread count and new notifications, live (every page's nav)."""

import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from accounts.events import user_group
from notifications import events, selectors

FORBIDDEN = 4403
SESSION_ENDED = 4401
REJOIN_EVERY = 3600.0  # seconds; well inside the channel layer's group expiry


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    groups_joined: tuple[str, ...] = ()
    joined_at = 0.0

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=FORBIDDEN)
            return
        self.groups_joined = (events.notification_group(user.pk), user_group(user.pk))
        await self._join()
        await self.accept()
        unread = await database_sync_to_async(selectors.count_unread)(user=user)
        await self.send_json({"type": "event", "event": "notification.count", "unread": unread})

    async def _join(self) -> None:
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        self.joined_at = time.monotonic()

    async def disconnect(self, code: int) -> None:
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            if time.monotonic() - self.joined_at > REJOIN_EVERY:
                await self._join()
            await self.send_json({"type": "pong"})
        else:
            await self.send_json({"type": "error", "message": "Unknown message type."})

    async def event_message(self, message: dict[str, Any]) -> None:
        if message["event"] == "session.ended":
            await self.close(code=SESSION_ENDED)
            return
        await self.send_json({"type": "event", "event": message["event"], **message["payload"]})
