"""The notification socket: each person's count and new notifications, live, and nobody else's."""

import time
from importlib import import_module

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth.models import AnonymousUser

from accounts.events import session_ended
from accounts.middleware import LAST_SEEN
from notifications import services
from notifications.models import Channel, OutboxMessage
from notifications.routing import websocket_urlpatterns
from portal.realtime import send_event

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

app = URLRouter(websocket_urlpatterns)


async def socket(user, session=None):
    communicator = WebsocketCommunicator(app, "/ws/notifications/")
    communicator.scope["user"] = user
    if session is not None:
        communicator.scope["session"] = session
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


@sync_to_async
def page_liaison_x(escalate):
    escalation = escalate()
    message = OutboxMessage.objects.get(escalation=escalation, channel=Channel.IN_APP)
    services.deliver_message(message_id=message.pk, claim="t")
    return escalation


async def test_the_count_arrives_on_connect_and_new_notifications_live(world, escalate):
    communicator, connected, _ = await socket(world.liaison_x)
    assert connected
    assert await communicator.receive_json_from(timeout=5) == {
        "type": "event",
        "event": "notification.count",
        "unread": 0,
    }
    escalation = await page_liaison_x(escalate)
    frame = await communicator.receive_json_from(timeout=5)
    assert frame["event"] == "notification.created"
    assert frame["unread"] == 1
    assert frame["notification"]["url"] == f"/incidents/{escalation.incident.public_id}/"
    await communicator.disconnect()


async def test_nobody_else_receives_a_persons_notifications(world, escalate):
    other, connected, _ = await socket(world.liaison_y)
    assert connected
    await other.receive_json_from(timeout=5)
    await page_liaison_x(escalate)
    assert await other.receive_nothing(timeout=0.5)
    await other.disconnect()


async def test_anonymous_sockets_are_refused_and_a_signed_out_one_closes(world):
    _, connected, code = await socket(AnonymousUser())
    assert (connected, code) == (False, 4403)
    communicator, connected, _ = await socket(world.liaison_x)
    await communicator.receive_json_from(timeout=5)
    await sync_to_async(send_event)(session_ended(world.liaison_x.pk))
    assert (await communicator.receive_output(timeout=5))["code"] == 4401


async def test_an_idle_session_closes_the_socket_at_its_next_ping(world):
    @sync_to_async
    def idle_session():
        session = import_module(settings.SESSION_ENGINE).SessionStore()
        session[LAST_SEEN] = time.time() - 9 * 3600  # guards idle out after 8 hours
        session.create()
        return session

    communicator, connected, _ = await socket(world.guard_a, await idle_session())
    assert connected  # the handshake's own check is SessionRulesMiddleware's (not in this stack)
    await communicator.receive_json_from(timeout=5)
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_output(timeout=5) == {"type": "websocket.close", "code": 4401}
