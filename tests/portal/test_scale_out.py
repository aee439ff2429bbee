"""Past one machine (docs/scaling.md): the channel layer sharded over two Redis servers still delivers
every board event across two web processes; reads go to a replica alias through the router while
writes, and reads inside a transaction or after a write, stay on the primary."""

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request

import pytest
import redis
import websockets
from asgiref.sync import sync_to_async
from channels_redis.utils import _consistent_hash
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from accounts import services as account_services
from accounts.models import ApiToken, Organization, Role
from tests.factories import AgencyFactory, SiteFactory, member, report
from tests.processes import ROOT, base_environ, database_url, free_port, makefile_variable, spawn, wait_http

SECOND_REDIS_PORT = int(os.environ.get("SECOND_REDIS_PORT", "6390"))


def session_cookie(user) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


@pytest.fixture
def second_redis(tmp_path):
    """A redis-server of this test's own on another port, as a second machine's would be."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("no redis-server on PATH")
    args = [server, "--port", str(SECOND_REDIS_PORT), "--bind", "127.0.0.1"]
    args += ["--save", "", "--appendonly", "no"]
    with spawn(args, base_environ(), tmp_path / "redis-2.log") as process:
        client = redis.Redis(port=SECOND_REDIS_PORT)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert process.poll() is None, (tmp_path / "redis-2.log").read_text()
                assert time.monotonic() < deadline, "the second redis-server did not answer"
                time.sleep(0.1)
        yield f"redis://127.0.0.1:{SECOND_REDIS_PORT}/0"
        client.close()


def agencies_on_each_shard(world, shards: int) -> list:
    """An agency (with a site of provider A and a liaison) whose board group hashes to each shard."""
    found: dict[int, Organization] = {}
    for candidate in (world.agency_x, world.agency_y):
        found.setdefault(_consistent_hash(f"board.{candidate.pk}", shards), candidate)
    while len(found) < shards:
        agency: Organization = AgencyFactory()  # type: ignore[assignment]
        found.setdefault(_consistent_hash(f"board.{agency.pk}", shards), agency)
    chosen = []
    for shard in range(shards):
        agency = found[shard]
        site = SiteFactory(provider=world.provider_a, agency=agency)
        chosen.append((shard, agency, site, member(Role.LIAISON, agency)))
    return chosen


def uvicorn(port: int) -> list[str]:
    """A web process as `make web` starts it (the Makefile's flags)."""
    flags = makefile_variable("UVICORN_FLAGS").split()
    return [sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port), *flags]


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_channel_layer_sharded_over_two_redis_servers_delivers_every_board_event(
    world, tmp_path, second_redis
):
    shards = agencies_on_each_shard(world, 2)
    incidents = [report(world.supervisor_a, site) for _, _, site, _ in shards]
    _, token = account_services.issue_api_token(
        user=world.supervisor_a, by=world.admin_a, name="test", scope=ApiToken.Scope.WRITE
    )
    cookies = [session_cookie(liaison) for *_, liaison in shards]
    urls = [settings.REDIS_URL, second_redis]
    for url in urls:
        redis.Redis.from_url(url).flushdb()
    env = base_environ(DATABASE_URL=database_url(), DATA_DIR=str(tmp_path), REDIS_CHANNEL_URLS=",".join(urls))
    ports = [free_port(), free_port()]
    with (
        spawn([*uvicorn(ports[0]), "portal.asgi:application"], env, tmp_path / "a.log") as a,
        spawn([*uvicorn(ports[1]), "portal.asgi:application"], env, tmp_path / "b.log") as b,
    ):
        wait_http(f"http://127.0.0.1:{ports[0]}/healthz", a, tmp_path / "a.log")
        wait_http(f"http://127.0.0.1:{ports[1]}/healthz", b, tmp_path / "b.log")

        async def board(cookie: str, port: int):
            socket = await websockets.connect(
                f"ws://127.0.0.1:{port}/ws/board/",
                additional_headers={"Cookie": cookie, "Origin": f"http://127.0.0.1:{port}"},
            )
            await socket.send(json.dumps({"type": "resume", "after": 0}))
            assert json.loads(await asyncio.wait_for(socket.recv(), 10))["type"] == "resumed"
            return socket

        def escalate(incident, port: int) -> int:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/api/v1/escalations/",
                data=json.dumps({"incident": str(incident.public_id)}).encode(),
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                method="POST",
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                return int(response.status)

        async def scenario() -> list[list[dict]]:
            # Each agency's board open on both processes; each escalation made through process A.
            boards = [[await board(cookie, port) for port in ports] for cookie in cookies]
            for incident in incidents:
                assert await sync_to_async(escalate)(incident, ports[0]) == 201
            frames = [[json.loads(await asyncio.wait_for(s.recv(), 10)) for s in pair] for pair in boards]
            # Each group's members live on its own shard, and only there.
            for shard, agency, *_ in shards:
                key = f"asgi:group:board.{agency.pk}"
                assert redis.Redis.from_url(urls[shard]).zcard(key) == 2, (urls[shard], key)
                assert redis.Redis.from_url(urls[1 - shard]).exists(key) == 0
            for pair in boards:
                for socket in pair:
                    await socket.close()
            return frames

        frames = asyncio.run(scenario())
    for incident, pair in zip(incidents, frames, strict=True):
        for frame in pair:
            assert frame["event"] == "escalation.requested"
            assert frame["escalation"]["incident"]["reference"] == incident.reference


REPLICA_SCRIPT = r"""
import json
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext
from accounts.models import Organization
from portal import db

def where(action):
    primary = CaptureQueriesContext(connections["default"])
    replica = CaptureQueriesContext(connections["replica"])
    with primary, replica:
        action()
    control = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE")  # SQLite's are logged, psycopg's are not
    count = lambda captured: sum(1 for q in captured.captured_queries if not q["sql"].startswith(control))
    return {"primary": count(primary), "replica": count(replica)}

def inside():
    with transaction.atomic():
        Organization.objects.count()

def write_then_read():
    Organization.objects.filter(pk=-1).update(name="x")
    Organization.objects.count()

found = {}
with db.fresh_scope():
    found["read"] = where(lambda: Organization.objects.count())
with db.fresh_scope():
    found["read_in_transaction"] = where(inside)
with db.fresh_scope():
    found["write_then_read"] = where(write_then_read)
with db.fresh_scope():
    found["next_request_reads"] = where(lambda: Organization.objects.count())
found["routers"] = __import__("django.conf").conf.settings.DATABASE_ROUTERS
print(json.dumps(found))
"""


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_reads_go_to_the_replica_and_writes_and_transactions_to_the_primary(tmp_path):
    """Both aliases point at the same (test) database, as a replica would hold the same rows."""
    env = base_environ(
        DATABASE_URL=database_url(), DATABASE_REPLICA_URL=database_url(), DATA_DIR=str(tmp_path), DEBUG="true"
    )
    env.pop("REDIS_URL", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", REPLICA_SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["routers"] == ["portal.db.PrimaryReplicaRouter"]
    assert found["read"] == {"primary": 0, "replica": 1}
    assert found["read_in_transaction"] == {"primary": 1, "replica": 0}
    assert found["write_then_read"] == {"primary": 2, "replica": 0}
    assert found["next_request_reads"] == {"primary": 0, "replica": 1}
