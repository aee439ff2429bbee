"""The board and incident sockets, through the real consumers and the configured channel layer."""

import asyncio
import time
import uuid
from importlib import import_module

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from accounts import services as account_services
from accounts.middleware import LAST_SEEN
from accounts.models import Role
from dispatch import events, selectors, services
from dispatch.consumers import REPLAYS
from dispatch.models import BoardEvent, BoardWatch
from dispatch.routing import websocket_urlpatterns
from incidents import services as incident_services
from tests.factories import report

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

app = URLRouter(websocket_urlpatterns)


async def connect(path, user, session=None):
    communicator = WebsocketCommunicator(app, path)
    communicator.scope["user"] = user
    if session is not None:
        communicator.scope["session"] = session
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


async def board(user, after=0):
    communicator, connected, code = await connect("/ws/board/", user)
    assert connected, code
    await communicator.send_json_to({"type": "resume", "after": after})
    return communicator


async def frames_until_resumed(communicator):
    frames = []
    while True:
        frame = await communicator.receive_json_from(timeout=5)
        if frame["type"] == "resumed":
            return frames, frame["last"]
        frames.append(frame)


escalate = sync_to_async(
    lambda world, site=None: services.escalate_incident(
        incident=report(world.guard_a, site or world.a1), by=world.supervisor_a
    )
)


@pytest.mark.parametrize("who", ["guard_a", "supervisor_a", "admin_a", "nobody"])
async def test_only_the_agencys_people_open_its_board(world, who):
    _, connected, code = await connect("/ws/board/", getattr(world, who))
    assert not connected
    assert code == 4403


async def test_a_new_escalation_reaches_the_board_with_its_payload(world):
    communicator = await board(world.liaison_x)
    assert await frames_until_resumed(communicator) == ([], 0)
    escalation = await escalate(world)
    frame = await communicator.receive_json_from(timeout=5)
    assert frame["type"] == "event"
    assert frame["event"] == "escalation.requested"
    assert frame["seq"] == 1
    payload = frame["escalation"]
    assert payload["id"] == str(escalation.public_id)
    assert payload["status"] == "requested"
    assert payload["is_panic"] is False
    assert payload["incident"]["reference"] == escalation.incident.reference
    assert payload["incident"]["site"] == "A1"
    assert payload["incident"]["time_zone"] == "Europe/London"
    await communicator.disconnect()


async def test_live_events_reach_the_board_without_a_database_thread_hop_per_socket(world, monkeypatch):
    hops = []

    async def counted():
        hops.append(1)

    monkeypatch.setattr("channels.consumer.aclose_old_connections", counted)
    communicator = await board(world.liaison_x)
    await frames_until_resumed(communicator)
    before = len(hops)
    await escalate(world)
    frame = await communicator.receive_json_from(timeout=5)
    assert frame["event"] == "escalation.requested"
    assert len(hops) == before  # the client's own messages (resume, ping) still close stale ones
    await communicator.disconnect()


async def test_another_agencys_board_hears_nothing(world):
    other = await board(world.liaison_y)
    await frames_until_resumed(other)
    await escalate(world)
    assert await other.receive_nothing(timeout=0.5)
    await other.disconnect()


async def test_replay_after_a_disconnect_gives_exactly_the_missed_events_in_order(world):
    communicator = await board(world.liaison_x)
    await frames_until_resumed(communicator)
    await escalate(world)
    last = (await communicator.receive_json_from(timeout=5))["seq"]
    await communicator.disconnect()
    missed = [await escalate(world) for _ in range(5)]
    again = await board(world.liaison_x, after=last)
    frames, resumed_at = await frames_until_resumed(again)
    assert [frame["seq"] for frame in frames] == [2, 3, 4, 5, 6]
    assert [frame["escalation"]["id"] for frame in frames] == [str(e.public_id) for e in missed]
    assert resumed_at == 6
    assert await again.receive_nothing(timeout=0.3)
    await again.disconnect()


async def resumed_storm(world, afters):
    """Boards of agency X, each resuming from its own number, all at once: what each received."""
    communicators = await asyncio.gather(*(connect("/ws/board/", world.liaison_x) for _ in afters))
    assert all(connected for _, connected, _ in communicators)
    sockets = [communicator for communicator, _, _ in communicators]
    await asyncio.gather(
        *(s.send_json_to({"type": "resume", "after": a}) for s, a in zip(sockets, afters, strict=True))
    )
    received = await asyncio.gather(*(frames_until_resumed(s) for s in sockets))
    await asyncio.gather(*(s.disconnect() for s in sockets))
    return received


async def test_boards_catching_up_at_once_share_one_read_per_agency(world):
    escalations = [await escalate(world) for _ in range(8)]
    afters = [index % 9 for index in range(200)]  # 0 (everything) to 8 (nothing missed)
    queries, served = REPLAYS.queries, REPLAYS.served
    received = await resumed_storm(world, afters)
    for after, (frames, last) in zip(afters, received, strict=True):
        assert [frame["seq"] for frame in frames] == list(range(after + 1, 9))
        assert [frame["escalation"]["id"] for frame in frames] == [
            str(e.public_id) for e in escalations[after:]
        ]
        assert last == 8
    assert REPLAYS.served - served == 200
    # One read serves every socket waiting while the one before it ran: a few reads, not 200.
    assert REPLAYS.queries - queries <= 3


async def test_a_shared_read_cut_at_the_replay_limit_reads_on_for_each_board(world, monkeypatch):
    monkeypatch.setattr(selectors, "REPLAY_LIMIT", 3)
    for _ in range(7):
        await escalate(world)
    afters = [0, 2, 5, 6, 7, 0, 4]
    received = await resumed_storm(world, afters)
    for after, (frames, last) in zip(afters, received, strict=True):
        assert [frame["seq"] for frame in frames] == list(range(after + 1, 8))
        assert last == 7


async def test_a_dropped_live_message_is_filled_from_the_database(world):
    communicator = await board(world.liaison_x)
    await frames_until_resumed(communicator)
    first = await escalate(world)
    assert (await communicator.receive_json_from(timeout=5))["seq"] == 1

    @sync_to_async
    def lose_one():
        # Stored, numbered, never pushed: what a dropped channel-layer message looks like.
        BoardEvent.objects.create(
            agency=world.agency_x,
            sequence=services.next_board_sequence(world.agency_x.pk),
            name="escalation.requested",
            escalation=first,
            payload={"escalation": {"id": "lost"}},
        )

    await lose_one()
    await escalate(world)
    seqs = [(await communicator.receive_json_from(timeout=5))["seq"] for _ in range(2)]
    assert seqs == [2, 3]
    await communicator.disconnect()


async def test_a_board_the_layer_forgot_catches_up_at_its_next_ping_and_hears_again(world):
    """Redis restarted empty: the socket stays open but is no longer in its agency's group. The
    fault run found such boards connected and deaf to the end; the next ping joins the group again
    and sends what was missed, in order."""
    communicator = await board(world.liaison_x)
    await frames_until_resumed(communicator)
    await escalate(world)
    assert (await communicator.receive_json_from(timeout=5))["seq"] == 1
    channel = await sync_to_async(lambda: BoardWatch.objects.get(closed_at=None).channel_name)()
    await get_channel_layer().group_discard(events.board_group(world.agency_x.pk), channel)
    missed = [await escalate(world) for _ in range(2)]
    assert await communicator.receive_nothing(timeout=0.5)

    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from(timeout=5) == {"type": "pong"}
    frames = [await communicator.receive_json_from(timeout=5) for _ in missed]
    assert [frame["seq"] for frame in frames] == [2, 3]
    assert [frame["escalation"]["id"] for frame in frames] == [str(e.public_id) for e in missed]
    await escalate(world)
    assert (await communicator.receive_json_from(timeout=5))["seq"] == 4  # live again
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from(timeout=5) == {"type": "pong"}
    assert await communicator.receive_nothing(timeout=0.3)  # nothing sent twice
    await communicator.disconnect()


async def test_bad_client_messages_get_an_error_not_a_crash(world):
    communicator, connected, _ = await connect("/ws/board/", world.liaison_x)
    assert connected
    await communicator.send_json_to({"type": "resume", "after": "lots"})
    assert (await communicator.receive_json_from())["type"] == "error"
    await communicator.send_json_to({"type": "shout", "text": "hi"})
    assert (await communicator.receive_json_from())["type"] == "error"
    await communicator.send_json_to({"type": "ping"})
    assert (await communicator.receive_json_from()) == {"type": "pong"}
    await communicator.disconnect()


async def test_deactivating_a_liaison_closes_their_board(world):
    communicator = await board(world.liaison_x)
    await frames_until_resumed(communicator)
    await sync_to_async(account_services.set_member_active)(
        membership=await sync_to_async(lambda: world.liaison_x.membership)(), by=world.admin_x, active=False
    )
    output = await communicator.receive_output(timeout=5)
    assert output == {"type": "websocket.close", "code": 4401}


async def test_logging_out_closes_the_users_sockets(world):
    communicator = await board(world.liaison_x)
    await frames_until_resumed(communicator)
    browser = Client()
    await sync_to_async(browser.force_login)(world.liaison_x)
    await sync_to_async(browser.post)("/accounts/logout/")
    assert await communicator.receive_output(timeout=5) == {"type": "websocket.close", "code": 4401}


async def test_the_incident_page_sees_the_police_response_and_messages_live(world):
    incident = await sync_to_async(report)(world.guard_a, world.a1)
    page, connected, _ = await connect(f"/ws/incidents/{incident.public_id}/", world.guard_a)
    assert connected
    escalation = await sync_to_async(services.escalate_incident)(incident=incident, by=world.supervisor_a)
    assert (await page.receive_json_from(timeout=5))["event"] == "escalation.requested"
    await sync_to_async(services.accept_escalation)(escalation=escalation, by=world.liaison_x)
    frame = await page.receive_json_from(timeout=5)
    assert (frame["event"], frame["escalation"]["status"]) == ("escalation.accepted", "accepted")
    await page.send_json_to({"type": "message", "text": "He is heading to the car park"})
    frame = await page.receive_json_from(timeout=5)
    assert frame["event"] == "message.posted"
    assert frame["message"]["text"] == "He is heading to the car park"
    assert frame["message"]["side"] == "provider"
    await page.send_json_to({"type": "message", "text": ""})
    assert (await page.receive_json_from(timeout=5))["type"] == "error"
    await page.disconnect()


@pytest.mark.parametrize("who", ["guard_b", "liaison_x", "supervisor_b"])
async def test_the_incident_socket_follows_the_policy(world, who):
    incident = await sync_to_async(report)(world.guard_a, world.a1)
    _, connected, code = await connect(f"/ws/incidents/{incident.public_id}/", getattr(world, who))
    assert not connected
    assert code == 4403
    _, connected, _ = await connect(f"/ws/incidents/{uuid.uuid4()}/", world.guard_a)
    assert not connected
    _, connected, _ = await connect("/ws/incidents/not-a-uuid/", world.guard_a)
    assert not connected


@sync_to_async
def signed_in(user, *, idle):
    """A stored session of ``user``, last used ``idle`` seconds ago (as the idle middleware writes it)."""
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[LAST_SEEN] = time.time() - idle
    session.create()
    return session


@sync_to_async
def touch(session, *, idle):
    """What a page's request does to the stored session (the socket's copy stays as it was)."""
    stored = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session.session_key)
    stored[LAST_SEEN] = time.time() - idle
    stored.save()


async def test_a_board_left_idle_past_the_timeout_closes_at_its_next_ping(world):
    session = await signed_in(world.liaison_x, idle=0)
    communicator, connected, _ = await connect("/ws/board/", world.liaison_x, session)
    assert connected
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from(timeout=5) == {"type": "pong"}
    await touch(session, idle=31 * 60)  # liaisons idle out after 30 minutes
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_output(timeout=5) == {"type": "websocket.close", "code": 4401}


async def test_a_page_used_since_the_handshake_keeps_the_socket_open(world):
    session = await signed_in(world.liaison_x, idle=31 * 60)
    communicator, connected, _ = await connect("/ws/board/", world.liaison_x, session)
    assert connected
    await touch(session, idle=0)
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from(timeout=5) == {"type": "pong"}
    await communicator.disconnect()


async def test_a_guard_taken_off_the_site_hears_nothing_more_of_its_incident(world):
    incident = await sync_to_async(report)(world.supervisor_a, world.a1)
    page, connected, _ = await connect(f"/ws/incidents/{incident.public_id}/", world.guard_a)
    assert connected
    escalation = await sync_to_async(services.escalate_incident)(incident=incident, by=world.supervisor_a)
    assert (await page.receive_json_from(timeout=5))["event"] == "escalation.requested"

    @sync_to_async
    def take_off_the_site():
        account_services.change_member(
            membership=world.guard_a.membership, by=world.admin_a, role=Role.GUARD, sites=[]
        )
        services.post_message(incident=incident, by=world.supervisor_a, text="Suspect left by the car park")
        services.accept_escalation(escalation=escalation, by=world.liaison_x)

    await take_off_the_site()
    assert await page.receive_output(timeout=5) == {"type": "websocket.close", "code": 4403}
    assert await page.receive_nothing(timeout=0.3)


@pytest.mark.redis
async def test_a_socket_idle_longer_than_the_redis_client_timeout_stays_alive(world):
    communicator = await board(world.liaison_x)
    await frames_until_resumed(communicator)
    await asyncio.sleep(6.5)  # redis-py 8 times out reads after 5 s by default (STACK_NOTES.md)
    await escalate(world)
    frame = await communicator.receive_json_from(timeout=5)
    assert frame["event"] == "escalation.requested"
    await communicator.disconnect()


async def test_an_incident_closed_by_the_provider_reaches_the_board_at_once(world, eager):
    escalation = await escalate(world)
    await sync_to_async(services.accept_escalation)(escalation=escalation, by=world.liaison_x)
    await sync_to_async(services.mark_on_scene)(escalation=escalation, by=world.liaison_x)
    communicator = await board(world.liaison_x, after=3)
    assert await frames_until_resumed(communicator) == ([], 3)
    await sync_to_async(incident_services.close_incident)(
        incident=escalation.incident,
        by=world.supervisor_a,
        resolution="Handed over to the police.",
        confirmed=True,  # the police response is still open
    )
    frame = await communicator.receive_json_from(timeout=5)
    assert frame["event"] == "escalation.incident_changed"
    assert frame["seq"] == 4
    assert frame["escalation"]["id"] == str(escalation.public_id)
    assert frame["escalation"]["status"] == "on_scene"
    assert frame["escalation"]["incident"]["status"] == "closed"
    assert frame["escalation"]["incident"]["provider_review"] == "Closed by the provider"
    # Another agency's board hears nothing of it.
    other = await board(world.liaison_y)
    assert await frames_until_resumed(other) == ([], 0)
    assert await other.receive_nothing(timeout=0.3)
    await communicator.disconnect()
    await other.disconnect()
