"""The base of every websocket consumer (protocol: docs/websocket-protocol.md). The ground: imports
no app.

A consumer says who may open it and which groups it joins (``authorise``), the user's own group
(``user_group``, where ``session.ended`` arrives) and the session rules it is held to
(``session_rules``); the base joins and renews the groups, answers pings, closes the socket when
the session ends, idles out or loses its access, and forwards server events without a database
hop."""

from collections.abc import Callable
from importlib import import_module
from typing import Any

from autobahn.exception import Disconnected
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

FORBIDDEN = 4403  # the user may not open this socket, or no longer may: do not reconnect
SESSION_ENDED = 4401  # logout, deactivation, role change, an idle session: do not reconnect
SESSION_ENDED_EVENT = "session.ended"
# What the server raises when a frame is sent on a socket the browser already closed (a quick page
# change while the first counts were read): daphne's "Attempt to send on a closed protocol", and
# the OSError an ASGI 2.4 server raises. The socket is gone; the frame has no one to go to.
SEND_AFTER_CLOSE: tuple[type[BaseException], ...] = (Disconnected, OSError)


class LiveConsumer(AsyncJsonWebsocketConsumer):
    """Authorise in connect, join the groups granted, keep them, answer pings, forward events."""

    # Set by each app's consumer (as staticmethods): the user's own group (accounts.events.user_group),
    # and the session rules (accounts.websocket), called on every ping with the session read again.
    user_group: Callable[[int], str]
    session_rules: Callable[[dict[str, Any]], bool]

    joined: tuple[str, ...] = ()
    ending = False
    gone = False  # the browser closed the socket: nothing more is sent

    @property
    def user(self) -> Any:
        return self.scope["user"]

    async def authorise(self) -> tuple[str, ...] | None:
        """The groups this user's socket joins besides their own, or None to refuse it."""
        raise NotImplementedError

    async def opened(self) -> None:
        """What the socket sends first, once accepted."""

    async def still_allowed(self) -> bool:
        """Checked before each event is forwarded: False closes the socket (its access was lost).
        By default nothing to check: a change of role or a deactivation ends the session instead."""
        return True

    async def pinged(self) -> None:
        """After each answered ping: a consumer that records liveness (the board) does it here."""

    async def receive_frame(self, kind: str | None, content: Any) -> None:
        """A client frame other than a ping; consumers handle theirs and pass the rest here."""
        await self.error("Unknown message type.")

    async def forward(self, message: dict[str, Any]) -> None:
        await self.send_json({"type": "event", "event": message["event"], **message["payload"]})

    async def connect(self) -> None:
        groups = await self.authorise()
        if groups is None:
            await self.close(code=FORBIDDEN)
            return
        self.joined = (*groups, self.user_group(self.user.pk))
        await self._add_groups()
        await self.accept()
        await self.opened()

    async def _add_groups(self) -> None:
        for group in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)

    async def send(
        self, text_data: str | None = None, bytes_data: bytes | None = None, close: Any = False
    ) -> None:
        """Every frame goes through here: once the browser has gone, frames are dropped, not raised."""
        if self.gone:
            return
        try:
            await super().send(text_data=text_data, bytes_data=bytes_data, close=close)
        except SEND_AFTER_CLOSE:
            self.gone = True

    async def send_json(self, content: Any, close: bool = False) -> None:
        # The JSON consumer's own send_json goes past ``send`` above (super() from its class).
        await self.send(text_data=await self.encode_json(content), close=close)

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        if self.gone:
            return
        try:
            await super().close(code=code, reason=reason)
        except SEND_AFTER_CLOSE:
            self.gone = True

    async def disconnect(self, code: int) -> None:
        self.gone = True
        for group in self.joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def end(self, code: int) -> None:
        self.ending = True  # events already queued for this socket are not forwarded
        await self.close(code=code)

    async def error(self, message: str) -> None:
        await self.send_json({"type": "error", "message": message})

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "ping":
            await self.ping()
        else:
            await self.receive_frame(kind, content)

    async def ping(self) -> None:
        # Clients ping every 25 s: the session rules are applied again (the idle timeout), and the
        # groups are joined again. A Redis restarted empty has forgotten every member while the
        # sockets stay open: without this they would hear nothing more, and never know (the fault
        # run found boards connected and deaf). A join is a sorted-set add in Redis, no database.
        if not await database_sync_to_async(self._session_allowed)():
            await self.end(SESSION_ENDED)
            return
        await self._add_groups()
        await self.send_json({"type": "pong"})
        await self.pinged()

    def _session_allowed(self) -> bool:
        session = self.scope.get("session")
        key = getattr(session, "session_key", None)
        if key is None:
            return self.session_rules(self.scope)
        # The copy in the scope was read at the handshake; the pages' requests have moved it on since.
        current = import_module(settings.SESSION_ENGINE).SessionStore(session_key=key)
        return self.session_rules({**self.scope, "session": current})

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels closes stale database connections in a worker thread before every message it hands
        # to a consumer: on a board, one thread hop per socket per event (a quarter of the server's CPU
        # in the fan-out, docs/PERFORMANCE.md). Forwarding a server event needs no connection (what
        # does touch the database goes through database_sync_to_async, which closes stale ones
        # itself), so events skip it.
        if message["type"] == "event.message":
            await self.event_message(message)
        else:
            await super().dispatch(message)

    async def event_message(self, message: dict[str, Any]) -> None:
        if self.ending:
            return
        if message["event"] == SESSION_ENDED_EVENT:
            await self.end(SESSION_ENDED)
        elif not await self.still_allowed():
            await self.end(FORBIDDEN)
        else:
            await self.forward(message)


class PolicyConsumer(LiveConsumer):
    """A socket whose groups one synchronous policy function answers for the signed-in user (None
    refuses it): each app sets ``groups_of`` (a staticmethod) over its own policy."""

    groups_of: Callable[[Any], tuple[str, ...] | None]

    async def authorise(self) -> tuple[str, ...] | None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            return None
        return await database_sync_to_async(self.groups_of)(user)
