"""A Celery worker outlives its broker's restart with a task unacknowledged (portal/worker.py).

The fault run saw Celery 5.7's consumer exit the worker ("Unrecoverable error: AttributeError")
when Redis went away while it held a message it had not acknowledged. Here a real worker holds one
(a task due in a minute: a worker keeps such a task, unacknowledged, until it is due), its own
redis-server is killed and started again empty, and the worker must still be running and run a
task sent after the restart. The redis-server is the test's own: the machine's is never stopped."""

import shutil
import sys
import time

import pytest
from celery import Celery

from tests.chaos.cluster import RedisServer
from tests.processes import base_environ, database_url, free_port, spawn, wait_for_text
from tests.services import REQUIRED

# serialized_rollback as every transactional test here: a plain flush runs post_migrate, whose content
# types the next serialized restore collides with (every later socket test errored at its setup).
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

QUEUE = "broker-loss"


def send(broker: str, name: str, countdown: float | None = None) -> None:
    client = Celery("broker-loss-test", broker=broker)
    with client.connection_for_write() as connection:
        client.send_task(name, queue=QUEUE, connection=connection, countdown=countdown)


def wait_for_count(log, text: str, count: int, process, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while log.read_text(errors="replace").count(text) < count:
        assert process.poll() is None, log.read_text(errors="replace")[-3000:]
        assert time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
        time.sleep(0.2)


def test_a_worker_holding_an_unacknowledged_task_survives_a_redis_restart(tmp_path):
    if not shutil.which("redis-server"):
        message = "needs redis-server (the test starts one of its own): apt-get install redis-server"
        if REQUIRED:
            pytest.fail(message)
        pytest.skip(message)
    redis_server = RedisServer(free_port(), tmp_path)
    redis_server.start()
    try:
        env = base_environ(DATABASE_URL=database_url(), DATA_DIR=str(tmp_path), CELERY_QUEUE=QUEUE)
        env["REDIS_URL"] = redis_server.url  # its own, not the machine's
        args = [
            sys.executable, "-m", "celery", "-A", "portal", "worker", "-Q", QUEUE, "-n", f"{QUEUE}@%h",
            "--pool=prefork", "--concurrency=1", "--without-gossip", "--without-mingle", "--loglevel=INFO",
        ]  # fmt: skip
        log = tmp_path / "worker.log"
        with spawn(args, env, log) as worker:
            wait_for_text(log, "ready.", worker, timeout=120)
            send(redis_server.url, "notifications.fire_due_timers", countdown=60)
            wait_for_count(log, "] received", 1, worker, timeout=30)  # held, unacknowledged, until due

            redis_server.kill()
            time.sleep(1)
            redis_server.start()  # empty, as after a crash without persistence

            wait_for_count(log, "Connected to redis", 2, worker, timeout=60)
            send(redis_server.url, "notifications.fire_due_timers")
            wait_for_count(log, "succeeded in", 1, worker, timeout=60)
            assert worker.poll() is None
            assert "Unrecoverable error" not in log.read_text(errors="replace")
    finally:
        redis_server.proc.stop()
