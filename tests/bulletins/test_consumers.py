"""The bulletin socket: a site's guards and supervisors hear its bulletins live, nobody else does."""

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from bulletins import services
from bulletins.models import Bulletin
from bulletins.routing import websocket_urlpatterns
from tests.bulletins.conftest import bolo

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

app = URLRouter(websocket_urlpatterns)


async def socket(user):
    communicator = WebsocketCommunicator(app, "/ws/bulletins/")
    communicator.scope["user"] = user
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


@sync_to_async
def publish(world, **options):
    return services.publish_bulletin(by=world.liaison_x, data=bolo(), **options)


async def test_a_bulletin_reaches_its_sites_sockets_live(world):
    guard, connected, _ = await socket(world.guard_a)
    supervisor, also, _ = await socket(world.supervisor_a)
    assert connected
    assert also
    bulletin = await publish(world)
    for communicator in (guard, supervisor):
        frame = await communicator.receive_json_from(timeout=5)
        assert frame["event"] == "bulletin.published"
        assert frame["bulletin"] == str(bulletin.public_id)
        assert frame["msg_type"] == "Alert"
        await communicator.disconnect()


async def test_another_providers_sockets_hear_nothing(world):
    other, connected, _ = await socket(world.guard_b)
    assert connected
    # To provider A's site a1 only: guard B (site b1) is not told, even of its existence.
    await publish(world, audience=Bulletin.Audience.SITES, sites=[world.a1])
    assert await other.receive_nothing(timeout=0.5)
    await other.disconnect()


@sync_to_async
def answer(bulletin, user):
    return services.mark_bulletin_read(bulletin=bulletin, by=user)


async def test_the_publishing_agencys_liaison_hears_its_bulletin_answered_live(world):
    bulletin = await publish(world)
    ours, connected, _ = await socket(world.liaison_x)
    theirs, also, _ = await socket(world.liaison_y)
    assert connected
    assert also
    await answer(bulletin, world.guard_a)
    frame = await ours.receive_json_from(timeout=5)
    assert frame == {
        "type": "event",
        "event": "bulletin.answered",
        "bulletin": str(bulletin.public_id),
        "answer": "read",
        "site": "A1",
    }
    # Agency Y's liaison is told nothing of agency X's bulletin or of who read it.
    assert await theirs.receive_nothing(timeout=0.5)
    for communicator in (ours, theirs):
        await communicator.disconnect()


async def test_who_may_not_open_it(world):
    for user in (AnonymousUser(), world.admin_a, world.nobody):
        _, connected, code = await socket(user)
        assert (connected, code) == (False, 4403)
