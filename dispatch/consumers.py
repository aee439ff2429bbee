"""Websockets: the live board (per agency, numbered, replayable) and the incident page.

Protocol: docs/websocket-protocol.md. Consumers authorise in connect, join only the groups the
policy grants, forward server events, and hand anything a client sends to a service.
"""

import time
import uuid
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.events import user_group
from accounts.models import User
from dispatch import events, policy, selectors, services
from incidents import policy as incident_policy
from incidents.events import incident_group
from incidents.models import Incident

FORBIDDEN = 4403
SESSION_ENDED = 4401
REJOIN_EVERY = 3600.0  # seconds; well inside the channel layer's group expiry


class _Consumer(AsyncJsonWebsocketConsumer):
    """Group bookkeeping shared by the board and the incident page."""

    joined: tuple[str, ...] = ()
    joined_at = 0.0

    async def join(self, *groups: str) -> None:
        self.joined = groups
        await self._add_groups()

    async def _add_groups(self) -> None:
        for group in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
        self.joined_at = time.monotonic()

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels closes stale database connections in a worker thread before every message it hands
        # to a consumer: on a board, one thread hop per socket per event (a quarter of the server's CPU
        # in the fan-out, docs/PERFORMANCE.md). Forwarding a server event needs no connection (a gap
        # is filled through database_sync_to_async, which closes stale ones itself), so events skip it.
        if message["type"] == "event.message":
            await self.event_message(message)
        else:
            await super().dispatch(message)

    async def event_message(self, message: dict[str, Any]) -> None:
        raise NotImplementedError

    async def disconnect(self, code: int) -> None:
        for group in self.joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def ping(self) -> None:
        # Clients ping every 25 s; membership is renewed well before the layer forgets it.
        if time.monotonic() - self.joined_at > REJOIN_EVERY:
            await self._add_groups()
        await self.send_json({"type": "pong"})

    async def ended(self, message: dict[str, Any]) -> bool:
        if message["event"] == "session.ended":
            await self.close(code=SESSION_ENDED)
            return True
        return False

    @property
    def user(self) -> User:
        return self.scope["user"]


class BoardConsumer(_Consumer):
    """An agency's live escalation board. Nothing is lost: every event is numbered per agency and
    stored; the socket replays from the database after the client's last number, then streams."""

    agency_id: int
    last_sent = 0
    resumed = False

    async def connect(self) -> None:
        agency = await database_sync_to_async(policy.board_agency)(self.user)
        if agency is None:
            await self.close(code=FORBIDDEN)
            return
        self.agency_id = agency.pk
        self.pending: list[dict[str, Any]] = []
        await self.join(events.board_group(agency.pk), user_group(self.user.pk))
        await self.accept()

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "resume":
            after = content.get("after", 0)
            if not isinstance(after, int) or after < 0:
                await self.send_json({"type": "error", "message": "resume needs a whole number 'after'."})
                return
            await self.resume(after)
        elif kind == "ping":
            await self.ping()
        else:
            await self.send_json({"type": "error", "message": "Unknown message type."})

    async def resume(self, after: int) -> None:
        self.last_sent = after
        await self.catch_up()
        self.resumed = True
        await self.send_json({"type": "resumed", "last": self.last_sent})
        pending, self.pending = sorted(self.pending, key=lambda frame: frame["seq"]), []
        for frame in pending:
            await self.deliver(frame)

    async def catch_up(self) -> None:
        while True:
            records = await database_sync_to_async(selectors.list_board_events_after)(
                agency_id=self.agency_id, after=self.last_sent
            )
            for record in records:
                await self.send_json({"type": "event", **events.as_message(record)})
                self.last_sent = record.sequence
            if len(records) < selectors.REPLAY_LIMIT:
                return

    async def deliver(self, frame: dict[str, Any]) -> None:
        seq = frame["seq"]
        if seq <= self.last_sent:
            return  # already sent by the replay
        if seq > self.last_sent + 1:
            # The fast path dropped something: fill the gap from the database, in order.
            await self.catch_up()
            if seq <= self.last_sent:
                return
        await self.send_json(frame)
        self.last_sent = seq

    async def event_message(self, message: dict[str, Any]) -> None:
        if await self.ended(message):
            return
        frame = {"type": "event", **message["payload"]}
        if "seq" not in frame:
            return
        if not self.resumed:
            self.pending.append(frame)
            return
        await self.deliver(frame)


class IncidentConsumer(_Consumer):
    """An incident's page: its escalation's state and its messages, live."""

    incident: Incident

    async def connect(self) -> None:
        incident = await database_sync_to_async(self._visible_incident)()
        if incident is None:
            await self.close(code=FORBIDDEN)
            return
        self.incident = incident
        await self.join(incident_group(incident), user_group(self.user.pk))
        await self.accept()

    def _visible_incident(self) -> Incident | None:
        try:
            incident_id = uuid.UUID(str(self.scope["url_route"]["kwargs"]["incident_id"]))
        except ValueError:
            return None
        return (
            incident_policy.visible_incidents(self.user)
            .filter(public_id=incident_id)
            .select_related("site")
            .first()
        )

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "ping":
            await self.ping()
        elif kind == "message":
            await self.post(content.get("text"))
        else:
            await self.send_json({"type": "error", "message": "Unknown message type."})

    async def post(self, text: Any) -> None:
        if not isinstance(text, str):
            await self.send_json({"type": "error", "message": "A message needs text."})
            return
        try:
            await database_sync_to_async(services.post_message)(
                incident=self.incident, by=self.user, text=text
            )
        except (PermissionDenied, ValidationError) as error:
            detail = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            await self.send_json({"type": "error", "message": detail})

    async def event_message(self, message: dict[str, Any]) -> None:
        if await self.ended(message):
            return
        await self.send_json({"type": "event", "event": message["event"], **message["payload"]})
