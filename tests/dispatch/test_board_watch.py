"""Each open board keeps a row with its last ping (issue 16 item 3): what the platform's heartbeats
and the supervisors' "board not watching" read, whichever process holds the socket."""

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from dispatch.models import BoardWatch
from dispatch.routing import websocket_urlpatterns

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

app = URLRouter(websocket_urlpatterns)
watches = sync_to_async(lambda: list(BoardWatch.objects.order_by("pk")))


async def test_a_board_is_watching_from_its_connection_pings_keep_it_and_closing_ends_it(world):
    communicator = WebsocketCommunicator(app, "/ws/board/")
    communicator.scope["user"] = world.liaison_x
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    [watch] = await watches()
    assert (watch.user_id, watch.agency_id, watch.closed_at) == (world.liaison_x.pk, world.agency_x.pk, None)
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from(timeout=5) == {"type": "pong"}
    await communicator.send_json_to({"type": "ping"})  # the first ping's write is done before this pong
    assert await communicator.receive_json_from(timeout=5) == {"type": "pong"}
    [pinged] = await watches()
    assert pinged.last_ping_at > watch.last_ping_at
    await communicator.disconnect()
    [closed] = await watches()
    assert closed.closed_at is not None


async def test_a_refused_board_leaves_no_row(world):
    communicator = WebsocketCommunicator(app, "/ws/board/")
    communicator.scope["user"] = world.guard_a
    connected, _ = await communicator.connect(timeout=5)
    assert not connected
    assert await watches() == []
