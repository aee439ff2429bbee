"""Two real ASGI server processes behind one Redis: an escalation made through one reaches a board
connected to the other (the deployment runs several web processes)."""

import asyncio
import json
import urllib.request

import pytest
import websockets
from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from accounts import services as account_services
from accounts.models import ApiToken
from tests.factories import report
from tests.processes import ROOT, base_environ, database_url, free_port, spawn, wait_http

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def session_cookie(user) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def test_an_escalation_through_process_a_reaches_a_board_on_process_b(world, tmp_path):
    incident = report(world.guard_a, world.a1)
    _, token = account_services.issue_api_token(
        user=world.supervisor_a, by=world.admin_a, name="test", scope=ApiToken.Scope.WRITE
    )
    cookie = session_cookie(world.liaison_x)
    env = base_environ(DATABASE_URL=database_url(), DATA_DIR=str(tmp_path))
    ports = [free_port(), free_port()]
    daphne = [str(ROOT / ".venv/bin/python"), "-m", "daphne", "-b", "127.0.0.1"]
    with (
        spawn([*daphne, "-p", str(ports[0]), "portal.asgi:application"], env, tmp_path / "a.log") as a,
        spawn([*daphne, "-p", str(ports[1]), "portal.asgi:application"], env, tmp_path / "b.log") as b,
    ):
        wait_http(f"http://127.0.0.1:{ports[0]}/healthz", a, tmp_path / "a.log")
        wait_http(f"http://127.0.0.1:{ports[1]}/healthz", b, tmp_path / "b.log")

        async def scenario() -> dict:
            board_url = f"ws://127.0.0.1:{ports[1]}/ws/board/"
            headers = {"Cookie": cookie, "Origin": f"http://127.0.0.1:{ports[1]}"}
            async with websockets.connect(board_url, additional_headers=headers) as board:
                await board.send(json.dumps({"type": "resume", "after": 0}))
                assert json.loads(await asyncio.wait_for(board.recv(), 10))["type"] == "resumed"
                request = urllib.request.Request(
                    f"http://127.0.0.1:{ports[0]}/api/v1/escalations/",
                    data=json.dumps({"incident": str(incident.public_id)}).encode(),
                    headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                    method="POST",
                )
                response = await sync_to_async(urllib.request.urlopen)(request, timeout=10)
                assert response.status == 201
                return json.loads(await asyncio.wait_for(board.recv(), 10))

        frame = asyncio.run(scenario())
    assert frame["event"] == "escalation.requested"
    assert frame["seq"] == 1
    assert frame["escalation"]["incident"]["reference"] == incident.reference


def test_a_foreign_origin_is_refused(world, tmp_path):
    cookie = session_cookie(world.liaison_x)
    env = base_environ(DATABASE_URL=database_url(), DATA_DIR=str(tmp_path))
    port = free_port()
    args = [str(ROOT / ".venv/bin/python"), "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)]
    with spawn([*args, "portal.asgi:application"], env, tmp_path / "d.log") as process:
        wait_http(f"http://127.0.0.1:{port}/healthz", process, tmp_path / "d.log")

        async def attempt() -> int:
            headers = {"Cookie": cookie, "Origin": "https://evil.example"}
            try:
                async with websockets.connect(f"ws://127.0.0.1:{port}/ws/board/", additional_headers=headers):
                    return 101
            except websockets.exceptions.InvalidStatus as refused:
                return refused.response.status_code

        assert asyncio.run(attempt()) == 403
