"""The consumer base (portal/sockets.py), through a consumer that only says yes or no: refusal,
groups, pings and their renewal, the session rules, lost access, the session's end, forwarding."""

from types import SimpleNamespace

import pytest
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from portal import sockets
from portal.realtime import Event

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


class Probe(sockets.LiveConsumer):
    """Lets in whom ``scope["rules"]`` lets in, to the group "probe", for as long as they allow."""

    user_group = staticmethod(lambda user_id: f"probe-user.{user_id}")
    session_rules = staticmethod(lambda scope: scope["rules"].session)

    async def authorise(self) -> tuple[str, ...] | None:
        return ("probe",) if self.scope["rules"].open else None

    async def still_allowed(self) -> bool:
        return self.scope["rules"].access

    async def opened(self) -> None:
        await self.send_json({"type": "hello"})


async def probe(**rules):
    communicator = WebsocketCommunicator(Probe.as_asgi(), "/ws/probe/")
    communicator.scope["user"] = SimpleNamespace(pk=7)
    communicator.scope["rules"] = SimpleNamespace(**{"open": True, "session": True, "access": True, **rules})
    connected, code = await communicator.connect(timeout=5)
    if connected:
        assert await communicator.receive_json_from(timeout=5) == {"type": "hello"}
    return communicator, connected, code


def send(group, name="thing.happened", **payload):
    return get_channel_layer().group_send(group, Event(name=name, payload=payload).message())


async def test_a_refused_socket_closes_at_the_handshake():
    _, connected, code = await probe(open=False)
    assert (connected, code) == (False, sockets.FORBIDDEN)


async def test_events_of_its_groups_are_forwarded_as_frames():
    communicator, connected, _ = await probe()
    assert connected
    await send("probe", n=1)
    await send("probe-user.7", n=2)
    await send("somebody-else", n=3)
    assert await communicator.receive_json_from(timeout=5) == {
        "type": "event",
        "event": "thing.happened",
        "n": 1,
    }
    assert await communicator.receive_json_from(timeout=5) == {
        "type": "event",
        "event": "thing.happened",
        "n": 2,
    }
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_forwarding_an_event_costs_no_database_thread_hop(monkeypatch):
    hops = []

    async def counted():
        hops.append(1)

    monkeypatch.setattr("channels.consumer.aclose_old_connections", counted)
    communicator, _, _ = await probe()
    before = len(hops)
    await send("probe")
    assert (await communicator.receive_json_from(timeout=5))["event"] == "thing.happened"
    assert len(hops) == before
    await communicator.disconnect()


async def test_the_session_ending_closes_the_socket_and_nothing_follows():
    communicator, _, _ = await probe()
    await send("probe-user.7", name="session.ended")
    await send("probe")
    assert await communicator.receive_output(timeout=5) == {
        "type": "websocket.close",
        "code": sockets.SESSION_ENDED,
    }
    assert await communicator.receive_nothing(timeout=0.3)


async def test_an_event_after_the_access_was_lost_closes_the_socket_instead():
    communicator, _, _ = await probe()
    communicator.scope["rules"].access = False
    await send("probe", secret="not for you")
    assert await communicator.receive_output(timeout=5) == {
        "type": "websocket.close",
        "code": sockets.FORBIDDEN,
    }
    assert await communicator.receive_nothing(timeout=0.3)


async def test_a_ping_is_answered_while_the_session_rules_hold_and_closes_it_when_not():
    communicator, _, _ = await probe()
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from(timeout=5) == {"type": "pong"}
    communicator.scope["rules"].session = False
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_output(timeout=5) == {
        "type": "websocket.close",
        "code": sockets.SESSION_ENDED,
    }


async def test_every_ping_joins_the_groups_again(monkeypatch):
    """A Redis restarted empty forgets every member while the sockets stay open."""
    layer = get_channel_layer()
    added = []
    group_add = layer.group_add

    async def recorded(group, channel):
        added.append(group)
        await group_add(group, channel)

    monkeypatch.setattr(layer, "group_add", recorded)
    communicator, _, _ = await probe()
    assert added == ["probe", "probe-user.7"]
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from(timeout=5) == {"type": "pong"}
    assert added == ["probe", "probe-user.7"] * 2
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from(timeout=5) == {"type": "pong"}
    assert added == ["probe", "probe-user.7"] * 3
    await communicator.disconnect()


async def test_a_frame_it_does_not_know_gets_an_error_and_changes_nothing():
    communicator, _, _ = await probe()
    for frame in ({"type": "shout"}, ["not", "an", "object"], {"no": "type"}):
        await communicator.send_json_to(frame)
        assert await communicator.receive_json_from(timeout=5) == {
            "type": "error",
            "message": "Unknown message type.",
        }
    await communicator.disconnect()


async def test_frames_after_the_browser_left_are_dropped_not_raised():
    """A quick page change closes the socket while the first counts are read: the server raised
    "Attempt to send on a closed protocol" into the consumer, and the log showed a traceback."""
    from autobahn.exception import Disconnected

    consumer = Probe.as_asgi()
    attempts = []

    async def app(scope, receive, send):
        async def closed_after_accept(message):
            if message["type"] != "websocket.accept":
                attempts.append(message["type"])
                raise Disconnected("Attempt to send on a closed protocol")
            await send(message)

        await consumer(scope, receive, closed_after_accept)

    communicator = WebsocketCommunicator(app, "/ws/probe/")
    communicator.scope["user"] = SimpleNamespace(pk=7)
    communicator.scope["rules"] = SimpleNamespace(open=True, session=True, access=True)
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    await send("probe", n=1)
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_nothing(timeout=0.3)
    assert not communicator.future.done()  # the consumer lives on, quietly, until the disconnect
    assert attempts == ["websocket.send"]  # the hello was tried once; nothing after it
    await communicator.disconnect()
