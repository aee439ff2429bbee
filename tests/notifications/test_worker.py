"""A real Celery worker process on Redis delivers to a real SMTP server and a real HTTP receiver;
killed mid-send, the notification still arrives once per idempotency key; with the broker down at
commit, the beat's sweep delivers it later. STACK_NOTES traps 1, 2 and 6: transactional tests, the
test database's name given to the worker, a queue of the test's own, and the real pid killed."""

import json
import os
import signal
import socket
import sys
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack, contextmanager

import pytest
import redis
from django.conf import settings
from django.utils import timezone

from notifications import tasks
from notifications.models import Channel, Kind, OutboxMessage, Target
from notifications.services import create_webhook_endpoint
from portal.celery import app
from tests.notifications.helpers import step
from tests.processes import base_environ, database_url, free_port, spawn, wait_for_text

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

State = OutboxMessage.State
LEASE = 3  # seconds: the workers' NOTIFY_LEASE_SECONDS, so that a lost send is offered again soon


@pytest.fixture
def queue():
    """A queue of this test's own: no other worker takes its tasks, and it publishes only there."""
    name = f"test-notifications-{uuid.uuid4().hex[:10]}"
    before = app.conf.task_default_queue
    app.conf.task_default_queue = name
    yield name
    app.conf.task_default_queue = before
    forget_queue(redis.Redis.from_url(str(settings.REDIS_URL)), name)


def forget_queue(client, name):
    """Leave nothing of the queue in Redis: its list, bindings, and messages a killed worker held."""
    client.delete(name, f"_kombu.binding.{name}", f"_kombu.binding_permanent.{name}")
    for tag, raw in client.hscan_iter("unacked"):
        if json.loads(raw)[-1] == name:  # [message, exchange, routing key]
            client.hdel("unacked", tag)
            client.zrem("unacked_index", tag)


@pytest.fixture
def workers(tmp_path, queue, smtp):
    """Start `celery -A portal worker` processes on the test database, Redis and the test's queue."""
    env = base_environ(
        DATABASE_URL=database_url(),
        DATA_DIR=str(tmp_path),
        CELERY_QUEUE=queue,
        PUBLIC_URL="https://watchpost.test",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp.port),
        EMAIL_USE_TLS="false",
        EMAIL_TIMEOUT="2",
        WEBHOOK_TIMEOUT="2",
        NOTIFY_LEASE_SECONDS=str(LEASE),
        WEBHOOK_ALLOW_PRIVATE_NETWORKS="true",
        WEBHOOK_REQUIRE_HTTPS="false",
    )
    with ExitStack() as stack:

        def start(name):
            log = tmp_path / f"{name}.log"
            args = [
                sys.executable, "-m", "celery", "-A", "portal", "worker", "-Q", queue,
                "-n", f"{name}-{queue}@%h", "--pool=prefork", "--concurrency=1",
                "--without-gossip", "--without-mingle", "--loglevel=INFO",
            ]  # fmt: skip
            process = stack.enter_context(spawn(args, env, log))
            wait_for_text(log, "ready.", process, timeout=120)
            process.log = log
            return process

        yield start


@pytest.fixture
def hooked(world, agency_policy, sink, private_webhooks):
    endpoint = create_webhook_endpoint(
        by=world.admin_x, organization=world.agency_x, name="CAD", url=sink.url(), events=["page"]
    )
    sink.secret = endpoint.secret
    return endpoint


def wait_until(check: Callable[[], bool], timeout: float = 30, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def states(escalation, **filters) -> set[str]:
    return set(OutboxMessage.objects.filter(escalation=escalation, **filters).values_list("state", flat=True))


def test_a_worker_delivers_email_by_smtp_and_a_signed_webhook(
    world, escalate, agency_policy, hooked, workers, smtp, sink
):
    agency_policy(
        step(0, channels=[Channel.IN_APP, Channel.EMAIL], required=[Channel.IN_APP]), step(0, Target.WEBHOOKS)
    )
    workers("w1")
    escalation = escalate()

    (email,) = smtp.wait_for(1)
    link = f"https://watchpost.test/incidents/{escalation.incident.public_id}/"
    assert email["To"] == world.liaison_x.email
    assert escalation.incident.reference in email["Subject"]
    assert link in email.get_body(("plain",)).get_content()
    assert f'href="{link}"' in email.get_body(("html",)).get_content()

    (hook,) = sink.wait_for(1)
    assert hook.signature_ok
    assert hook.json["data"]["id"] == str(escalation.public_id)
    wait_until(lambda: states(escalation, kind=Kind.PAGE) == {State.DELIVERED}, what="every page delivered")


def test_a_worker_killed_mid_send_still_delivers_once_per_key_after_a_new_worker_starts(
    world, escalate, agency_policy, hooked, workers, sink
):
    agency_policy(step(0, Target.WEBHOOKS))
    sink.hold_next = True  # the receiver keeps the first request waiting: the worker is mid-send
    first = workers("w1")
    escalation = escalate()
    assert sink.arrived.wait(30), first.log.read_text()
    message = OutboxMessage.objects.get(escalation=escalation, channel=Channel.WEBHOOK)
    assert message.state == State.SENDING

    os.killpg(first.pid, signal.SIGKILL)  # the worker and its pool child, by their real pid
    assert first.wait(10) == -signal.SIGKILL
    sink.release.set()
    workers("w2")
    message.refresh_from_db()
    wait_until(
        lambda: OutboxMessage.objects.get(pk=message.pk).lease_until < timezone.now(), LEASE + 5, "the lease"
    )
    assert tasks.sweep_outbox.apply().get() == 1  # what beat runs every few seconds

    sink.wait_for(2)
    wait_until(lambda: states(escalation, channel=Channel.WEBHOOK) == {State.DELIVERED}, what="delivery")
    message.refresh_from_db()
    assert [r.key for r in sink.received] == [message.idempotency_key] * 2  # at least once, same key
    assert sink.processed == [message.idempotency_key]  # so the receiver acts on it exactly once
    assert all(r.signature_ok for r in sink.received)
    assert sink.received[0].body == sink.received[1].body
    assert message.attempts == 2
    assert [a.ok for a in message.delivery_attempts.order_by("number")] == [False, True]


def test_a_pool_process_killed_mid_send_is_replaced_and_the_task_taken_up_at_once(
    world, escalate, agency_policy, hooked, workers, sink, queue
):
    """acks_late + reject_on_worker_lost: the worker gives the message back, a new pool process
    runs the same task, which takes its interrupted message back without waiting for the lease."""
    agency_policy(step(0, Target.WEBHOOKS))
    sink.hold_next = True
    worker = workers("w1")
    node = f"w1-{queue}@{socket.gethostname()}"
    stats = app.control.inspect(timeout=5, destination=[node], limit=1).stats() or {}
    (child,) = stats[node]["pool"]["processes"]  # the pool process that will run the task
    escalation = escalate()
    assert sink.arrived.wait(30), worker.log.read_text()
    os.kill(child, signal.SIGKILL)
    sink.release.set()

    sink.wait_for(2, timeout=30)  # nothing sweeps here: only the worker gives the task back
    wait_until(lambda: states(escalation, channel=Channel.WEBHOOK) == {State.DELIVERED}, what="delivery")
    message = OutboxMessage.objects.get(escalation=escalation, channel=Channel.WEBHOOK)
    assert sink.processed == [message.idempotency_key]
    assert next(a.detail for a in message.delivery_attempts.order_by("number")) == (
        "Interrupted: the worker was lost mid-send."
    )
    assert worker.poll() is None  # the worker itself lives on
    assert f"pid:{child} exited with 'signal 9 (SIGKILL)'" in worker.log.read_text()


@contextmanager
def broker_at(url):
    """Point this process's Celery producer at ``url`` (an address where nothing listens)."""
    before = app.conf.broker_url

    def switch(to):
        # kombu keeps one pool per broker: the real one stays open, to be found again on the way back.
        app.conf.broker_url = to
        app._pool = None
        app.amqp._producer_pool = None

    switch(url)
    try:
        yield
    finally:
        app.pool.force_close_all()
        switch(before)


def test_with_the_broker_unreachable_at_commit_the_sweep_delivers_later(world, escalate, workers, smtp):
    workers("w1")
    started = time.monotonic()
    with broker_at(f"redis://127.0.0.1:{free_port()}/7"):
        escalation = escalate()  # commits; queuing its deliveries fails
    assert time.monotonic() - started < 5  # the request is not held hostage by the broker
    pages = OutboxMessage.objects.filter(escalation=escalation, kind=Kind.PAGE)
    assert {(m.state, m.lease_until) for m in pages} == {(State.PENDING, None)}
    time.sleep(1)
    assert smtp.messages == []

    assert tasks.sweep_outbox.apply().get() == pages.count()
    (email,) = smtp.wait_for(1)
    assert email["To"] == world.liaison_x.email
    wait_until(lambda: states(escalation, kind=Kind.PAGE) == {State.DELIVERED}, what="delivery")
