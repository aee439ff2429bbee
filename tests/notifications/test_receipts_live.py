"""The in-app receipt over the socket (issue 16 item 2): the person's open page says a notification
arrived, which makes the message delivered, not only sent; nobody confirms another's."""

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from notifications import services
from notifications.models import Channel, Kind, OutboxMessage, Receipt
from notifications.routing import websocket_urlpatterns

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

app = URLRouter(websocket_urlpatterns)


async def socket(user):
    communicator = WebsocketCommunicator(app, "/ws/notifications/")
    communicator.scope["user"] = user
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    assert (await communicator.receive_json_from(timeout=5))["event"] == "notification.count"
    return communicator


@sync_to_async
def page(escalate):
    escalation = escalate()
    message = OutboxMessage.objects.get(escalation=escalation, kind=Kind.PAGE, channel=Channel.IN_APP)
    services.deliver_message(message_id=message.pk, claim="t")
    return message.pk


receipt = sync_to_async(lambda pk: OutboxMessage.objects.get(pk=pk).receipt)


async def test_the_page_confirms_arrival_and_the_message_is_delivered(world, escalate):
    communicator = await socket(world.liaison_x)
    message_id = await page(escalate)
    frame = await communicator.receive_json_from(timeout=5)
    assert frame["event"] == "notification.created"
    assert frame["notification"]["sound"] == "escalation"
    assert frame["notification"]["needs_ack"] is True
    assert await receipt(message_id) == Receipt.SENT
    await communicator.send_json_to({"type": "received", "id": frame["notification"]["id"]})
    await communicator.send_json_to({"type": "ping"})  # answered after the receipt is stored
    assert await communicator.receive_json_from(timeout=5) == {"type": "pong"}
    assert await receipt(message_id) == Receipt.DELIVERED
    await communicator.disconnect()


async def test_a_receipt_for_someone_elses_notification_is_refused_and_changes_nothing(world, escalate):
    watcher = await socket(world.liaison_x)
    message_id = await page(escalate)
    frame = await watcher.receive_json_from(timeout=5)
    await watcher.disconnect()
    other = await socket(world.liaison_y)
    await other.send_json_to({"type": "received", "id": frame["notification"]["id"]})
    assert await other.receive_json_from(timeout=5) == {"type": "error", "message": "No such notification."}
    await other.send_json_to({"type": "received", "id": "1"})
    assert (await other.receive_json_from(timeout=5))["type"] == "error"
    assert await receipt(message_id) == Receipt.SENT
    await other.disconnect()
