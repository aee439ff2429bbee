"""Heartbeats (issue 16 item 3): the outbox drainer, beat, each worker queue, each webhook endpoint
and each open board are ok, slow or expired by thresholds in settings, with time given explicitly;
one page for platform admins and /healthz/detail; a panic's agency without a watching board shows
on the supervisors' desk."""

import re
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dispatch import services as dispatch_services
from dispatch.models import BoardWatch
from notifications import selectors, services
from notifications.models import DeliveryAttempt, Heartbeat, Kind, OutboxMessage
from notifications.services import heartbeats
from notifications.tasks import beat_tick

OK, SLOW, EXPIRED = "ok", "slow", "expired"


@pytest.fixture(autouse=True)
def thresholds(settings):
    settings.HEARTBEAT_OUTBOX_SLOW, settings.HEARTBEAT_OUTBOX_EXPIRED = 30, 120
    settings.HEARTBEAT_BEAT_SLOW, settings.HEARTBEAT_BEAT_EXPIRED = 30, 120
    settings.HEARTBEAT_QUEUE_SLOW, settings.HEARTBEAT_QUEUE_EXPIRED = 30, 120
    settings.HEARTBEAT_WEBHOOK_SLOW, settings.HEARTBEAT_WEBHOOK_EXPIRED = 600, 3600
    settings.HEARTBEAT_BOARD_SLOW, settings.HEARTBEAT_BOARD_EXPIRED = 35, 60
    settings.HEARTBEAT_QUEUES = ("watchpost", "bulk")


def states(now, kind):
    return [
        (signal.name, signal.state) for signal in selectors.list_heartbeats(now=now) if signal.kind == kind
    ]


def state_of(now, kind):
    [(_, state)] = states(now, kind)
    return state


def test_the_outbox_drainer_is_judged_by_its_oldest_message_due(world):
    now = timezone.now()
    assert state_of(now, "outbox") == OK  # nothing waits
    OutboxMessage.objects.create(
        kind=Kind.MESSAGE,
        channel="in_app",
        recipient=world.liaison_x,
        recipient_label="x",
        idempotency_key="hb-1",
        next_attempt_at=now,
    )
    assert state_of(now + timedelta(seconds=29), "outbox") == OK
    assert state_of(now + timedelta(seconds=30), "outbox") == SLOW
    assert state_of(now + timedelta(seconds=120), "outbox") == EXPIRED
    OutboxMessage.objects.filter(idempotency_key="hb-1").update(state=OutboxMessage.State.DELIVERED)
    assert state_of(now + timedelta(seconds=500), "outbox") == OK
    # A retry scheduled later is not late yet.
    OutboxMessage.objects.create(
        kind=Kind.MESSAGE,
        channel="in_app",
        recipient=world.liaison_x,
        recipient_label="x",
        idempotency_key="hb-2",
        next_attempt_at=now + timedelta(minutes=10),
    )
    assert state_of(now + timedelta(minutes=5), "outbox") == OK


def test_beat_and_each_worker_queue_answer_the_tick(world, eager):
    now = timezone.now()
    assert state_of(now, "beat") == EXPIRED  # never ticked
    assert {state for _, state in states(now, "queue")} == {EXPIRED}
    beat_tick.apply()  # eager here: each queue's pong runs at once, as a worker would run it
    ticked = Heartbeat.objects.get(name="beat").at
    assert state_of(ticked + timedelta(seconds=10), "beat") == OK
    assert state_of(ticked + timedelta(seconds=31), "beat") == SLOW
    assert state_of(ticked + timedelta(seconds=121), "beat") == EXPIRED
    assert states(ticked + timedelta(seconds=5), "queue") == [
        ("Worker queue watchpost", OK),
        ("Worker queue bulk", OK),
    ]
    assert states(ticked + timedelta(seconds=40), "queue") == [
        ("Worker queue watchpost", SLOW),
        ("Worker queue bulk", SLOW),
    ]


def test_a_queue_pong_records_how_long_it_waited(db):
    asked = timezone.now()
    beat = heartbeats.record_queue_pong(queue="watchpost", asked_at=asked, now=asked + timedelta(seconds=2))
    assert beat.detail == {"lag_ms": 2000}


def test_a_webhook_endpoint_is_judged_by_its_last_success_once_it_fails(world):
    endpoint = services.create_webhook_endpoint(
        by=world.admin_x,
        organization=world.agency_x,
        name="CAD",
        url="https://cad.example/hook",
        events=["page"],
    )
    now = timezone.now()
    assert state_of(now, "webhook") == OK  # nothing sent: nothing says it is down
    message = OutboxMessage.objects.create(
        kind=Kind.PAGE,
        channel="webhook",
        endpoint=endpoint,
        recipient_label="CAD",
        idempotency_key="hb-w",
        next_attempt_at=now,
    )
    DeliveryAttempt.objects.create(message=message, number=1, at=now, ok=True, status_code=200)
    assert state_of(now + timedelta(hours=5), "webhook") == OK  # succeeded last
    DeliveryAttempt.objects.create(message=message, number=2, at=now + timedelta(seconds=60), ok=False)
    assert state_of(now + timedelta(seconds=599), "webhook") == OK
    assert state_of(now + timedelta(seconds=600), "webhook") == SLOW
    assert state_of(now + timedelta(seconds=3600), "webhook") == EXPIRED


def test_each_open_board_is_judged_by_its_last_ping(world):
    now = timezone.now()
    for liaison, seconds in ((world.liaison_x, 10), (world.liaison_y, 40)):
        dispatch_services.open_board_watch(
            channel_name=f"c-{liaison.pk}",
            user=liaison,
            agency_id=liaison.membership.organization_id,
            now=now - timedelta(seconds=seconds),
        )
    assert dict(states(now, "board")) == {
        f"Board of {world.liaison_x} ({world.agency_x})": OK,
        f"Board of {world.liaison_y} ({world.agency_y})": SLOW,
    }
    assert {state for _, state in states(now + timedelta(seconds=60), "board")} == {EXPIRED}
    dispatch_services.ping_board_watch(
        channel_name=f"c-{world.liaison_x.pk}", now=now + timedelta(seconds=55)
    )
    assert (
        dict(states(now + timedelta(seconds=60), "board"))[f"Board of {world.liaison_x} ({world.agency_x})"]
        == OK
    )
    dispatch_services.close_board_watch(channel_name=f"c-{world.liaison_x.pk}", now=now)
    assert len(states(now, "board")) == 1  # a closed board is no longer an open one


def test_the_health_page_and_detail_are_for_platform_admins_only(world, client):
    client.force_login(world.platform)
    page = client.get(reverse("notifications:health"))
    assert page.status_code == 200
    assert b'data-heartbeat="beat" data-state="expired"' in page.content
    detail = client.get(reverse("healthz_detail")).json()
    assert detail["status"] == EXPIRED
    assert [row["kind"] for row in detail["heartbeats"]][:2] == ["outbox", "beat"]
    for person in (world.supervisor_a, world.admin_a, world.liaison_x):
        client.force_login(person)
        assert client.get(reverse("notifications:health")).status_code == 403
        assert client.get(reverse("healthz_detail")).status_code == 403


def test_a_panic_whose_agency_has_no_board_watching_says_so_on_the_supervisors_desk(world, client):
    client.force_login(world.supervisor_a)
    desk = reverse("notifications:desk")
    assert b"Board not watching" not in client.get(desk).content  # no panic: nothing to say
    dispatch_services.press_panic(guard=world.guard_a, site=world.a1, idempotency_key=uuid.uuid4())
    shown = client.get(desk).content.decode()
    assert 'data-desk-unwatched="Agency X"' in shown
    assert "no board is watching it" in shown

    now = timezone.now()
    dispatch_services.open_board_watch(
        channel_name="c1", user=world.liaison_x, agency_id=world.agency_x.pk, now=now
    )
    assert b"Board not watching" not in client.get(desk).content  # it pinged just now

    BoardWatch.objects.filter(channel_name="c1").update(last_ping_at=now - timedelta(seconds=61))
    shown = client.get(desk).content.decode()
    assert 'data-desk-unwatched="Agency X"' in shown
    assert re.search(rf"Not watching: {world.liaison_x} \(last ping 6\d s ago\)", shown)
