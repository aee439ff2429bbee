"""Live on the provider's side (issue 13.7): the supervisors' triage count on every page's
notification socket, the triage queue updating itself, and a panic arriving in the inbox at once."""

import uuid

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from dispatch import services as dispatch_services
from incidents import services as incident_services
from notifications.routing import websocket_urlpatterns
from tests.factories import SiteFactory, report

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("eager"),
]

app = URLRouter(websocket_urlpatterns)


async def socket(user):
    communicator = WebsocketCommunicator(app, "/ws/notifications/")
    communicator.scope["user"] = user
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    return communicator


async def frames_until(communicator, event, *, limit=10):
    """The frames received up to and including the first of ``event``."""
    seen = []
    for _ in range(limit):
        frame = await communicator.receive_json_from(timeout=5)
        seen.append(frame)
        if frame.get("event") == event:
            return seen
    raise AssertionError(f"no {event} in {seen}")  # pragma: no cover


async def test_a_supervisor_socket_opens_with_the_triage_count_and_follows_it_live(world):
    await sync_to_async(report)(world.guard_a, world.a1)
    communicator = await socket(world.supervisor_a)
    assert await communicator.receive_json_from(timeout=5) == {
        "type": "event",
        "event": "notification.count",
        "unread": 1,  # the first report's notification
    }
    assert await communicator.receive_json_from(timeout=5) == {
        "type": "event",
        "event": "triage.count",
        "open": 1,
    }
    incident = await sync_to_async(report)(world.guard_a, world.a1)
    frames = await frames_until(communicator, "triage.changed")
    changed = frames[-1]
    assert (changed["open"], changed["reference"], changed["status"]) == (2, incident.reference, "submitted")
    # The report's own notification reaches the supervisor's inbox live as well.
    created = [frame for frame in frames if frame.get("event") == "notification.created"]
    more = [] if created else await frames_until(communicator, "notification.created")
    notification = (created or more)[-1]["notification"]
    assert notification["title"].startswith(f"New report {incident.reference}")
    await sync_to_async(incident_services.accept_incident)(incident=incident, by=world.supervisor_a)
    accepted = (await frames_until(communicator, "triage.changed"))[-1]
    assert (accepted["open"], accepted["status"]) == (1, "accepted")
    await communicator.disconnect()


async def test_other_people_do_not_follow_a_providers_triage(world):
    guard = await socket(world.guard_a)
    other = await socket(world.supervisor_b)
    liaison = await socket(world.liaison_x)
    for communicator in (guard, liaison):
        assert (await communicator.receive_json_from(timeout=5))["event"] == "notification.count"
    assert [(await other.receive_json_from(timeout=5))["event"] for _ in range(2)] == [
        "notification.count",
        "triage.count",
    ]
    await sync_to_async(report)(world.guard_a, world.a1)
    for communicator in (guard, other, liaison):
        assert await communicator.receive_nothing(timeout=0.5)
        await communicator.disconnect()


async def test_a_panic_reaches_the_supervisors_socket_as_panic_with_no_agency(world):
    @sync_to_async
    def press():
        site = SiteFactory(provider=world.provider_a, agency=None, name="Depot")
        site.assignments.create(user=world.guard_a)
        return dispatch_services.press_panic(guard=world.guard_a, site=site, idempotency_key=uuid.uuid4())

    communicator = await socket(world.supervisor_a)
    await communicator.receive_json_from(timeout=5)
    await communicator.receive_json_from(timeout=5)
    result = await press()
    assert result.escalation is None
    assert "sent to your supervisors on duty" in result.alerted
    frames = await frames_until(communicator, "notification.created")
    notification = frames[-1]["notification"]
    assert notification["kind"] == "panic"
    assert notification["title"].startswith("PANIC: ")
    assert "Police: NOT alerted" in notification["body"]
    await communicator.disconnect()


# The supervisor's desk (issue 14.5): its panels are fetched again on desk.changed.


async def desk_change(communicator, cause, *, limit=4):
    """The first desk.changed frame for ``cause`` (a panic also announces its police request)."""
    causes = []
    for _ in range(limit):
        frame = (await frames_until(communicator, "desk.changed"))[-1]
        causes.append(frame["cause"])
        if frame["cause"] == cause:
            return frame
    raise AssertionError(f"no desk.changed for {cause} in {causes}")  # pragma: no cover


async def test_an_open_desk_hears_a_panic_pressed_then_cancelled_and_others_hear_nothing(world):
    desk = await socket(world.supervisor_a)
    other = await socket(world.supervisor_b)
    for communicator in (desk, other):
        await frames_until(communicator, "triage.count")
    result = await sync_to_async(dispatch_services.press_panic)(
        guard=world.guard_a, site=world.a1, idempotency_key=uuid.uuid4()
    )
    reference = result.incident.reference
    assert (await desk_change(desk, "panic.pressed"))["reference"] == reference
    await sync_to_async(dispatch_services.cancel_panic)(incident=result.incident, by=world.guard_a)
    changed, notices = None, []
    for _ in range(12):  # the desk's refresh and the cancel's notice, in whatever order they come
        frame = await desk.receive_json_from(timeout=5)
        if frame.get("event") == "desk.changed" and frame["cause"] == "panic.cancelled":
            changed = frame
        if frame.get("event") == "notification.created":
            notices.append(frame["notification"]["title"])
        if changed and any(title.startswith("PANIC cancelled") for title in notices):
            break
    assert changed is not None
    assert changed["reference"] == reference
    assert [title for title in notices if title.startswith("PANIC cancelled")] == [
        f"PANIC cancelled: {world.guard_a} at {world.a1.name} ({reference})"
    ]
    assert await other.receive_nothing(timeout=0.5)
    for communicator in (desk, other):
        await communicator.disconnect()


async def test_an_open_desk_follows_the_police_state(world):
    result = await sync_to_async(dispatch_services.press_panic)(
        guard=world.guard_a, site=world.a1, idempotency_key=uuid.uuid4()
    )
    desk = await socket(world.supervisor_a)
    await frames_until(desk, "triage.count")
    await sync_to_async(dispatch_services.accept_escalation)(escalation=result.escalation, by=world.liaison_x)
    accepted = await desk_change(desk, "escalation.accepted")
    assert accepted["reference"] == result.incident.reference
    await desk.disconnect()
