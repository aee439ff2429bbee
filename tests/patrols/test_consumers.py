"""The joint-patrol socket: the agency's people hear its running joint patrols move, live; another
agency hears nothing, and the provider's side cannot open it."""

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from patrols import services
from patrols.routing import websocket_urlpatterns
from tests.patrols.conftest import at

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

app = URLRouter(websocket_urlpatterns)


async def socket(user):
    communicator = WebsocketCommunicator(app, "/ws/patrols/joint/")
    communicator.scope["user"] = user
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


@pytest.fixture
def joint(patrol):
    patrol.joint = services.create_tour(
        site=patrol.w.a1,
        by=patrol.w.supervisor_a,
        name="Joint night",
        checkpoints=[patrol.roof],
        interval_minutes=60,
        tolerance_minutes=10,
        joint=True,
        officers="PC Ortiz",
    )
    return patrol


async def test_the_agency_hears_its_joint_patrol_start_scan_miss_and_end(joint):
    p = joint
    ours, connected, _ = await socket(p.w.liaison_x)
    admin, also, _ = await socket(p.w.admin_x)
    theirs, too, _ = await socket(p.w.liaison_y)
    assert connected
    assert also
    assert too

    shift = await sync_to_async(services.start_shift)(
        guard=p.w.guard_a, site=p.w.a1, by=p.w.guard_a, now=at(p, 0)
    )
    expected = {
        "type": "event",
        "event": "joint_patrol.changed",
        "shift": str(shift.public_id),
        "tour": str(p.joint.public_id),
        "site": "A1",
    }
    for communicator in (ours, admin):
        assert await communicator.receive_json_from(timeout=5) == {**expected, "cause": "shift.started"}
    await sync_to_async(services.record_scan)(
        guard=p.w.guard_a, code=p.roof.code, idempotency_key="s1", now=at(p, 5)
    )
    assert await ours.receive_json_from(timeout=5) == {**expected, "cause": "checkpoint.scanned"}
    # The second hour's round is not walked: past its deadline the sweep marks it missed (the
    # perimeter tour's missed rounds are no joint patrol's: they are not announced).
    await sync_to_async(services.sweep_missed_rounds)(now=at(p, 131))
    assert await ours.receive_json_from(timeout=5) == {**expected, "cause": "round.missed"}
    await sync_to_async(services.end_shift)(shift=shift, by=p.w.guard_a, now=at(p, 135))
    assert await ours.receive_json_from(timeout=5) == {**expected, "cause": "shift.ended"}
    # Agency Y hears nothing of agency X's patrol.
    assert await theirs.receive_nothing(timeout=0.5)
    for communicator in (ours, admin, theirs):
        await communicator.disconnect()


async def test_a_shift_without_a_joint_patrol_is_not_announced(patrol):
    p = patrol
    ours, connected, _ = await socket(p.w.liaison_x)
    assert connected
    await sync_to_async(services.start_shift)(guard=p.w.guard_a, site=p.w.a1, by=p.w.guard_a)
    await sync_to_async(services.record_scan)(guard=p.w.guard_a, code=p.gate.code, idempotency_key="g")
    assert await ours.receive_nothing(timeout=0.5)
    await ours.disconnect()


async def test_only_an_agencys_people_may_open_it(world):
    for user in (
        world.guard_a,
        world.supervisor_a,
        world.admin_a,
        world.platform,
        world.nobody,
        AnonymousUser(),
    ):
        _, connected, code = await socket(user)
        assert not connected
        assert code == 4403


async def board_socket(user):
    communicator = WebsocketCommunicator(app, "/ws/patrols/board/")
    communicator.scope["user"] = user
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


async def test_the_providers_patrol_board_hears_its_sites_move_and_no_other_provider_does(patrol):
    p = patrol
    ours, connected, _ = await board_socket(p.w.supervisor_a)
    admin, also, _ = await board_socket(p.w.admin_a)
    theirs, too, _ = await board_socket(p.w.supervisor_b)
    assert connected
    assert also
    assert too
    shift = await sync_to_async(services.start_shift)(
        guard=p.w.guard_a, site=p.w.a1, by=p.w.guard_a, now=at(p, 0)
    )
    for communicator in (ours, admin):
        frame = await communicator.receive_json_from(timeout=5)
        assert frame == {
            "type": "event",
            "event": "patrol_board.changed",
            "site": p.w.a1.pk,
            "cause": "shift.started",
        }
    await sync_to_async(services.record_scan)(
        guard=p.w.guard_a, code=p.gate.code, idempotency_key="s1", now=at(p, 5)
    )
    assert (await ours.receive_json_from(timeout=5))["cause"] == "checkpoint.scanned"
    await sync_to_async(services.check_in)(guard=p.w.guard_a, idempotency_key="c1", now=at(p, 6))
    assert (await ours.receive_json_from(timeout=5))["cause"] == "checked_in"
    # A refused scan changes nothing the board shows: no push.
    await sync_to_async(services.record_scan)(
        guard=p.w.guard_a, code="NOPE1-NOPE2", idempotency_key="s2", now=at(p, 7)
    )
    assert await ours.receive_nothing(timeout=0.5)
    await sync_to_async(services.end_shift)(shift=shift, by=p.w.guard_a, now=at(p, 20))
    causes = set()
    while not await ours.receive_nothing(timeout=1):
        causes.add((await ours.receive_json_from(timeout=5))["cause"])
    assert "shift.ended" in causes
    # Provider B's board hears nothing of provider A's sites.
    assert await theirs.receive_nothing(timeout=0.5)
    for communicator in (ours, admin, theirs):
        await communicator.disconnect()


async def test_only_a_providers_supervisors_and_org_admins_may_open_the_board_socket(world):
    for user in (
        world.guard_a,
        world.liaison_x,
        world.admin_x,
        world.platform,
        world.nobody,
        AnonymousUser(),
    ):
        _, connected, code = await board_socket(user)
        assert not connected
        assert code == 4403
