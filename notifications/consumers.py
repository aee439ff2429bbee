"""The notification socket: a person's unread count and new notifications, live (every page's nav);
for supervisors, also their provider's triage queue count (``triage.changed``). Over the consumer
base (portal/sockets.py)."""

from typing import Any

from channels.db import database_sync_to_async

from accounts.events import user_group
from accounts.websocket import SessionRulesMiddleware
from notifications import events, policy, selectors
from notifications.services.people import mark_received
from portal.sockets import LiveConsumer


class NotificationConsumer(LiveConsumer):
    user_group = staticmethod(user_group)
    session_rules = staticmethod(SessionRulesMiddleware.allowed)

    async def authorise(self) -> tuple[str, ...] | None:
        user = self.scope.get("user")
        if user is None or not policy.has_inbox(user):
            return None
        groups = [events.notification_group(user.pk)]
        provider_id = await database_sync_to_async(policy.triage_provider_id)(user)
        if provider_id is not None:
            groups.append(events.triage_group(provider_id))
        return tuple(groups)

    async def opened(self) -> None:
        unread = await database_sync_to_async(selectors.count_unread)(user=self.user)
        await self.send_json({"type": "event", "event": "notification.count", "unread": unread})
        triage = await database_sync_to_async(selectors.count_open_triage)(user=self.user)
        if triage is not None:
            await self.send_json({"type": "event", "event": "triage.count", "open": triage})

    async def receive_frame(self, kind: str | None, content: Any) -> None:
        # {"type": "received", "id": <notification id>}: the page has it (delivery confirmed).
        if kind != "received":
            await super().receive_frame(kind, content)
            return
        notification_id = content.get("id")
        if not isinstance(notification_id, int) or isinstance(notification_id, bool):
            await self.error("received needs a notification's whole-number 'id'.")
            return
        if not await database_sync_to_async(mark_received)(user=self.user, notification_id=notification_id):
            await self.error("No such notification.")
