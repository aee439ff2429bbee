"""A real Celery worker process on Redis delivers to a real SMTP server and a real HTTP receiver;
killed mid-send, the notification still arrives once per idempotency key; with the broker down at
commit, the beat's sweep delivers it later. STACK_NOTES traps 1, 2 and 6: transactional tests, the
test database's name given to the worker, a queue of the test's own, and the real pid killed."""

import json
import os
import signal
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack, contextmanager
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone

from notifications import tasks
from notifications.models import Channel, Kind, OutboxMessage, Target
from notifications.services import create_webhook_endpoint, outbox
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
WORKER_SESSIONS = "watchpost-test-worker"  # the workers' PostgreSQL application_name


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
    # Priorities are lists of their own: "<queue>\x06\x16<priority>" beside the queue's (priority 0).
    priorities = [f"{name}\x06\x16{priority}" for priority in (3, 6, 9)]
    client.delete(name, *priorities, f"_kombu.binding.{name}", f"_kombu.binding_permanent.{name}")
    for tag, raw in client.hscan_iter("unacked"):
        if json.loads(raw)[-1] == name:  # [message, exchange, routing key]
            client.hdel("unacked", tag)
            client.zrem("unacked_index", tag)


@pytest.fixture
def workers(tmp_path, queue, smtp):
    """Start `celery -A portal worker` processes on the test database, Redis and the test's queue."""
    env = base_environ(
        # Named, so that a test can cut the workers' sessions and only theirs.
        DATABASE_URL=f"{database_url()}?application_name={WORKER_SESSIONS}",
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

        def start(name, concurrency=1, **more):
            log = tmp_path / f"{name}.log"
            args = [
                sys.executable, "-m", "celery", "-A", "portal", "worker", "-Q", queue,
                "-n", f"{name}-{queue}@%h", "--pool=prefork", f"--concurrency={concurrency}",
                "--without-gossip", "--without-mingle", "--loglevel=INFO",
            ]  # fmt: skip
            process = stack.enter_context(spawn(args, {**env, **more}, log))
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


def postgres_sessions() -> int:
    """Sessions PostgreSQL has begun on the test database (its statistics lag by up to a second)."""
    time.sleep(1.5)
    with connection.cursor() as cursor:
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
        return int(cursor.fetchone()[0])


def test_a_worker_keeps_its_database_connections_between_deliveries_and_replaces_one_cut_while_idle(
    world, escalate, agency_policy, workers
):
    """Celery's Django fixup closed the pool process's whole connection pool around every task: two
    new PostgreSQL sessions per delivery (docs/RELIABILITY.md, "Delivery throughput")."""
    agency_policy(step(0, channels=[Channel.IN_APP], required=[Channel.IN_APP]))
    workers("w1")
    first = escalate()
    wait_until(lambda: states(first, channel=Channel.IN_APP) == {State.DELIVERED}, what="the first page")
    before = postgres_sessions()
    later = [escalate() for _ in range(8)]
    wait_until(
        lambda: all(states(e, channel=Channel.IN_APP) == {State.DELIVERED} for e in later), what="8 pages"
    )
    tasks_run = OutboxMessage.objects.filter(escalation__in=later).count()
    assert tasks_run >= 8
    assert postgres_sessions() - before <= 2, f"new sessions for {tasks_run} deliveries"

    # PostgreSQL cuts the worker's idle pooled connections: only the worker's (cutting this test
    # process's own pooled ones broke the tests after it: "terminating connection due to
    # administrator command", a pool that gave no connection within 10 s).
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = %s",
            [WORKER_SESSIONS],
        )
        assert cursor.fetchone()[0] >= 1
    after_cut = escalate()
    wait_until(lambda: states(after_cut, channel=Channel.IN_APP) == {State.DELIVERED}, what="after the cut")
    page = OutboxMessage.objects.get(escalation=after_cut, channel=Channel.IN_APP, kind=Kind.PAGE)
    assert page.attempts == 1  # the pool checked the connection and gave a new one: no failed try


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


def test_the_ladders_timers_go_ahead_of_a_backlog_of_deliveries(workers, queue):
    """The fault run found the beat's timer task expiring in the queue behind deliveries, so the
    ladder climbed up to a minute late: the timers are sent at priority 0, ahead of the rest."""
    for missing in range(1_000_000, 1_000_030):
        tasks.deliver_notification.delay(missing)  # nothing to send: each returns at once
    entry = app.conf.beat_schedule["notifications-fire-due-timers"]
    app.send_task(entry["task"], **entry["options"])
    worker = workers("w1")
    wait_until(lambda: worker.log.read_text().count("succeeded in") >= 31, what="every task run")
    received = [
        line.split("Task ", 1)[1].split("[", 1)[0]
        for line in worker.log.read_text().splitlines()
        if "] received" in line
    ]
    assert received[0] == "notifications.fire_due_timers", received[:3]
    assert received.count("notifications.deliver") == 30


def test_behind_a_backlog_the_sweep_gives_a_lapsed_message_another_lease_not_another_task(
    world, escalate, queue
):
    """The fault run's 1,000 escalations: behind a backlog longer than the lease, every sweep queued
    another task for each waiting message, and the queue grew to 12,000 for 3,000 messages."""
    escalation = escalate()  # its deliveries are queued; no worker runs here
    pages = OutboxMessage.objects.filter(escalation=escalation)
    count = pages.count()
    queued = outbox.queue_backlog()  # their deliveries and the report's follow-ups
    assert queued is not None
    assert queued >= count
    for missing in range(outbox.SWEEP_LIMIT):
        tasks.deliver_notification.delay(10_000_000 + missing)  # a backlog ahead of them
    lapsed = timezone.now() - timedelta(seconds=1)
    pages.update(lease_until=lapsed)  # queued longer than their lease

    assert tasks.sweep_outbox.apply().get() == 0
    assert outbox.queue_backlog() == queued + outbox.SWEEP_LIMIT  # no second task each
    assert all(page.lease_until > timezone.now() for page in pages)

    forget_queue(redis.Redis.from_url(str(settings.REDIS_URL)), queue)  # Redis restarted empty
    pages.update(lease_until=lapsed)
    assert tasks.sweep_outbox.apply().get() == count  # lost with the queue: queued again
    assert outbox.queue_backlog() == count


RESTARTS = 3
LEASE_HERE = 10  # seconds: longer than the held request (8 s), which outlasts the restart


def test_a_task_that_ends_after_the_broker_restarted_acknowledges_and_the_worker_lives_on(
    world, escalate, agency_policy, hooked, workers, sink, tmp_path
):
    """Redis (a redis-server of the test's own, nothing on disk) stops and starts again while a task
    is mid-send; the task ends once the worker has reconnected, and acknowledges its message on the
    channel of the lost connection (kombu 5.7: the old channel's QoS makes a client of its own; the
    tag is unknown to the new server, so nothing is removed and nothing raises). The worker survives
    every restart and goes on delivering; each message is acted on once by the receiver."""
    from tests.chaos.cluster import RedisServer

    agency_policy(step(0, Target.WEBHOOKS))
    broker = RedisServer(free_port(), tmp_path)
    broker.start()
    try:
        with broker_at(broker.url):
            # the held request outlasts the restart: the task ends only after the reconnection
            lease = str(LEASE_HERE)
            worker = workers("w1", REDIS_URL=broker.url, WEBHOOK_TIMEOUT="8", NOTIFY_LEASE_SECONDS=lease)
            for restart in range(RESTARTS):
                sink.hold_next, sink.release = True, threading.Event()
                sink.arrived.clear()
                escalation = escalate()
                assert sink.arrived.wait(30), worker.log.read_text()[-3000:]
                broker.kill()
                time.sleep(1)
                broker.start()
                # The consumer reconnects (it polls the new server) before the task is let go.
                wait_until(
                    lambda n=restart: worker.log.read_text().count("Connected to redis://") > n + 1,
                    30,
                    "the worker's reconnection",
                )
                sink.release.set()

                def delivered(e=escalation):
                    tasks.sweep_outbox.apply()  # what beat runs every few seconds
                    return states(e, channel=Channel.WEBHOOK) == {State.DELIVERED}

                wait_until(delivered, 3 * LEASE_HERE, "delivery")
                time.sleep(2)  # the acknowledgement, after the task's end, on the lost channel
                assert worker.poll() is None, worker.log.read_text()[-3000:]
            after = escalate()  # and the worker, on the new connection, takes new work
            wait_until(lambda: states(after, channel=Channel.WEBHOOK) == {State.DELIVERED}, what="delivery")
    finally:
        broker.kill()
    assert worker.poll() is None, worker.log.read_text()[-3000:]
    assert "Unrecoverable error" not in worker.log.read_text()
    keys = [m.idempotency_key for m in OutboxMessage.objects.filter(channel=Channel.WEBHOOK)]
    assert sorted(sink.processed) == sorted(keys)  # each delivered, acted on once


def test_a_task_that_ends_after_the_broker_restarted_while_the_worker_polled_for_more_does_not_end_the_worker(
    world, escalate, agency_policy, hooked, workers, sink, tmp_path
):
    """The fault run's workers (two pool processes each): with a process free, the consumer is
    waiting in BRPOP when Redis goes away, so closing the lost channel fails half-way (its pools
    dropped, the transport's client gone) and the task's acknowledgement, once it ends, builds a pool
    from that client: ``AttributeError: 'NoneType' object has no attribute 'hostname'``, and the
    worker exited ("Unrecoverable error"). Now that acknowledgement is logged and left undone; the
    message stays in Redis's unacknowledged set (restored after the visibility timeout), and the
    worker goes on taking work on the new connection."""
    from tests.chaos.cluster import RedisServer

    agency_policy(step(0, Target.WEBHOOKS))
    broker = RedisServer(free_port(), tmp_path)
    broker.start()
    try:
        with broker_at(broker.url):
            lease = str(LEASE_HERE)
            worker = workers(
                "w1", concurrency=2, REDIS_URL=broker.url, WEBHOOK_TIMEOUT="8", NOTIFY_LEASE_SECONDS=lease
            )
            sink.hold_next, sink.release = True, threading.Event()
            sink.arrived.clear()
            escalation = escalate()
            assert sink.arrived.wait(30), worker.log.read_text()[-3000:]
            time.sleep(1)  # the other tasks done: one pool process free, the consumer waits in BRPOP
            broker.kill()
            time.sleep(1)
            broker.start()
            wait_until(lambda: worker.log.read_text().count("Connected to redis://") > 1, 30, "reconnection")
            ended = worker.log.read_text().count("succeeded in")
            sink.release.set()
            wait_until(
                lambda: worker.log.read_text().count("succeeded in") > ended or worker.poll() is not None,
                30,
                "the task's end",
            )
            time.sleep(2)  # the acknowledgement, after the task's end, on the lost channel
            assert worker.poll() is None, worker.log.read_text()[-3000:]
            assert "acknowledgement on a lost broker connection" in worker.log.read_text()
            for done in (escalation, escalate()):  # and the worker, on the new connection, takes new work
                wait_until(
                    lambda e=done: states(e, channel=Channel.WEBHOOK) == {State.DELIVERED}, what="delivery"
                )
    finally:
        broker.kill()
    assert worker.poll() is None, worker.log.read_text()[-3000:]
    assert "Unrecoverable error" not in worker.log.read_text()
    keys = [m.idempotency_key for m in OutboxMessage.objects.filter(channel=Channel.WEBHOOK)]
    assert sorted(sink.processed) == sorted(keys)  # each delivered, acted on once
