"""Websockets: the live board (per agency, numbered, replayable) and the incident page.

Protocol: docs/websocket-protocol.md. Over the consumer base (portal/sockets.py): each authorises in
connect, joins only the groups the policy grants, forwards server events, and hands anything a
client sends to a service.
"""

import asyncio
import bisect
import uuid
from dataclasses import dataclass, field
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


@dataclass
class _Batch:
    """Catch-ups of one agency's boards waiting for the next read: each wants the events after its
    own number."""

    waiting: list[tuple[int, "asyncio.Future[tuple[list[dict[str, Any]], bool]]"]] = field(
        default_factory=list
    )


class ReplayReads:
    """One database read per agency for all the boards of this process catching up at once.

    After a server restart a thousand boards reconnect within a second or two, each asking for the
    events after its own number. A socket that asks while its agency's read is running waits for the
    next one; that next read starts at the lowest number asked for and serves every waiting socket
    its own part, so a storm costs a few queries per agency, not one per socket. ``queries`` counts
    the reads made and ``served`` the catch-ups answered (for tests and the fault run)."""

    def __init__(self) -> None:
        self.batches: dict[int, _Batch] = {}
        self.running: dict[int, asyncio.Task[None]] = {}
        self.queries = 0
        self.served = 0

    async def after(self, agency_id: int, after: int) -> tuple[list[dict[str, Any]], bool]:
        """The agency's board messages numbered after ``after``, in order, and whether that reached
        the newest (False: a replay limit's worth was read; ask again after the last one)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[tuple[list[dict[str, Any]], bool]] = loop.create_future()
        running = self.running.get(agency_id)
        if running is not None and (running.done() or running.get_loop() is not loop):
            # Left by an event loop that has ended (tests run one per test): start afresh.
            self.running.pop(agency_id, None)
            self.batches.pop(agency_id, None)
        self.batches.setdefault(agency_id, _Batch()).waiting.append((after, future))
        if agency_id not in self.running:
            # A task of its own: a socket that closes mid-read must not leave the others waiting.
            self.running[agency_id] = loop.create_task(self._drain(agency_id))
        return await future

    async def _drain(self, agency_id: int) -> None:
        try:
            while agency_id in self.batches:
                await self._read(agency_id, self.batches.pop(agency_id))
        finally:
            self.running.pop(agency_id, None)

    async def _read(self, agency_id: int, batch: _Batch) -> None:
        lowest = min(after for after, _ in batch.waiting)
        try:
            messages = await database_sync_to_async(_read_messages)(agency_id, lowest)
        except Exception as error:  # the database is down: each socket fails and its client reconnects
            for _, future in batch.waiting:
                if not future.done():
                    future.set_exception(error)
            return
        self.queries += 1
        complete = len(messages) < selectors.REPLAY_LIMIT
        numbers = [message["seq"] for message in messages]
        for after, future in batch.waiting:
            if not future.done():
                future.set_result((messages[bisect.bisect_right(numbers, after) :], complete))
                self.served += 1


def _read_messages(agency_id: int, after: int) -> list[dict[str, Any]]:
    return [
        events.as_message(record)
        for record in selectors.list_board_events_after(
            agency_id=agency_id, after=after, limit=selectors.REPLAY_LIMIT
        )
    ]


REPLAYS = ReplayReads()


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

    async def opened(self) -> None:
        await database_sync_to_async(services.open_board_watch)(
            channel_name=self.channel_name, user=self.user, agency_id=self.agency_id
        )

    async def pinged(self) -> None:
        await database_sync_to_async(services.ping_board_watch)(channel_name=self.channel_name)
        if self.resumed:
            # What the layer did not push since the last ping (it may have forgotten this socket's
            # group until the ping joined it again): read with the agency's other boards.
            await self.catch_up()

    async def disconnect(self, code: int) -> None:
        await super().disconnect(code)
        if hasattr(self, "agency_id"):
            await database_sync_to_async(services.close_board_watch)(channel_name=self.channel_name)

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
        # Read with every other board of the agency catching up in this process (ReplayReads).
        while True:
            messages, complete = await REPLAYS.after(self.agency_id, self.last_sent)
            for message in messages:
                await self.send_json({"type": "event", **message})
                self.last_sent = message["seq"]
            if complete:
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
