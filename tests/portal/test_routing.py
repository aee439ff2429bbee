"""The websocket stack: a socket opens only from this site's own pages (issue 13.6), its Origin
matching the scheme, host and port the socket was reached at, behind a trusted proxy too."""

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from portal.requests import TrustedProxies
from portal.routing import websocket_application


@pytest.fixture(autouse=True)
def _same_connection(monkeypatch):
    # Channels closes "old" connections around each query; in a test transaction that would end it.
    monkeypatch.setattr("channels.db.close_old_connections", lambda: None)


def cookie_of(user) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


PROXY, CLIENT = "10.0.0.5", "198.51.100.7"


def opens(
    user, *, host: str, origin: str | None, scheme="ws", peer=CLIENT, forwarded: dict | None = None
) -> bool:
    """Whether the liaison's board socket opens, run from this thread (the test's connection)."""
    headers = [(b"host", host.encode()), (b"cookie", cookie_of(user).encode())]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    for name, value in (forwarded or {}).items():
        headers.append((name.lower().encode(), value.encode()))

    async def handshake() -> bool:
        app = TrustedProxies(websocket_application(), ["10.0.0.0/8"])
        communicator = WebsocketCommunicator(app, "/ws/board/", headers=headers)
        communicator.scope.update(client=(peer, 40000), scheme=scheme)
        connected, _code = await communicator.connect(timeout=5)
        if connected:
            await communicator.disconnect()
        return connected

    return async_to_sync(handshake)()


@pytest.mark.parametrize(
    ("host", "origin", "expected"),
    [
        ("127.0.0.1:8000", "http://127.0.0.1:8000", True),
        ("[::1]:8000", "http://[::1]:8000", True),
        ("localhost", "http://localhost:80", True),
        ("127.0.0.1:8000", "http://127.0.0.1:9000", False),  # another port: another site
        ("127.0.0.1:8000", "https://127.0.0.1:8000", False),  # another scheme
        ("127.0.0.1:8000", "http://localhost:8000", False),  # another allowed host, not this one
        ("127.0.0.1:8000", "https://evil.example", False),
        ("evil.example", "http://evil.example", False),  # a host not in ALLOWED_HOSTS
        ("127.0.0.1:8000", "null", False),
        ("127.0.0.1:8000", None, False),
    ],
)
def test_a_socket_opens_only_from_a_page_of_the_same_origin(world, host, origin, expected):
    assert opens(world.liaison_x, host=host, origin=origin) is expected


def test_a_tls_socket_wants_an_https_origin(world):
    assert opens(world.liaison_x, host="127.0.0.1", origin="https://127.0.0.1", scheme="wss")
    assert not opens(world.liaison_x, host="127.0.0.1", origin="http://127.0.0.1", scheme="wss")


def test_behind_a_trusted_tls_proxy_the_origin_is_the_public_https_one(world, settings):
    settings.ALLOWED_HOSTS = ["watchpost.example.org"]
    behind = {"X-Forwarded-For": CLIENT, "X-Forwarded-Proto": "https"}
    public = "https://watchpost.example.org"
    host = "watchpost.example.org"
    assert opens(world.liaison_x, host=host, origin=public, peer=PROXY, forwarded=behind)
    assert not opens(
        world.liaison_x, host=host, origin="http://watchpost.example.org", peer=PROXY, forwarded=behind
    )
    # A client that claims https itself is not believed: its socket is plain ws.
    assert not opens(world.liaison_x, host=host, origin=public, peer=CLIENT, forwarded=behind)
