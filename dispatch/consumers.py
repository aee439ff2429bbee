"""Websockets: the live board (per agency, numbered, replayable) and the incident page.

Protocol: docs/websocket-protocol.md. Over the consumer base (portal/sockets.py): each authorises in
connect, joins only the groups the policy grants, forwards server events, and hands anything a
client sends to a service.
"""

import uuid
from typing import Any

from channels.db import database_sync_to_async
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.events import user_group
from accounts.websocket import SessionRulesMiddleware
from dispatch import events, policy, selectors, services
from incidents import policy as incident_policy
from incidents.events import incident_group
from incidents.models import Incident
from portal.sockets import LiveConsumer


class _Socket(LiveConsumer):
    user_group = staticmethod(user_group)
    session_rules = staticmethod(SessionRulesMiddleware.allowed)


class BoardConsumer(_Socket):
    """An agency's live escalation board. Nothing is lost: every event is numbered per agency and
    stored; the socket replays from the database after the client's last number, then streams.
    Its access is the user's role in the agency, which only ends with the session."""

    agency_id: int
    last_sent = 0
    resumed = False

    async def authorise(self) -> tuple[str, ...] | None:
        agency = await database_sync_to_async(policy.board_agency)(self.user)
        if agency is None:
            return None
        self.agency_id = agency.pk
        self.pending: list[dict[str, Any]] = []
        return (events.board_group(agency.pk),)

    async def receive_frame(self, kind: str | None, content: Any) -> None:
        if kind != "resume":
            await super().receive_frame(kind, content)
            return
        after = content.get("after", 0)
        if not isinstance(after, int) or after < 0:
            await self.error("resume needs a whole number 'after'.")
            return
        await self.resume(after)

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

    async def forward(self, message: dict[str, Any]) -> None:
        frame = {"type": "event", **message["payload"]}
        if "seq" not in frame:
            return
        if not self.resumed:
            self.pending.append(frame)
            return
        await self.deliver(frame)


class IncidentConsumer(_Socket):
    """An incident's page: its escalation's state and its messages, live. Who sees an incident can
    change while the page is open (a guard taken off the site), so each event checks again."""

    incident: Incident

    async def authorise(self) -> tuple[str, ...] | None:
        incident = await database_sync_to_async(self._visible_incident)()
        if incident is None:
            return None
        self.incident = incident
        return (incident_group(incident),)

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

    async def still_allowed(self) -> bool:
        # One indexed query per event of this one incident: few, unlike a board's.
        return await database_sync_to_async(incident_policy.can_view_incident)(self.user, self.incident)

    async def receive_frame(self, kind: str | None, content: Any) -> None:
        if kind == "message":
            await self.post(content.get("text"))
        else:
            await super().receive_frame(kind, content)

    async def post(self, text: Any) -> None:
        if not isinstance(text, str):
            await self.error("A message needs text.")
            return
        try:
            await database_sync_to_async(services.post_message)(
                incident=self.incident, by=self.user, text=text
            )
        except (PermissionDenied, ValidationError) as error:
            await self.error(" ".join(error.messages) if isinstance(error, ValidationError) else str(error))
