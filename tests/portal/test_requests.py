"""Forwarded headers believed only from trusted proxies (issue 13.4), through the ASGI application."""

import re
from urllib.parse import urlencode

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from django.core.asgi import get_asgi_application
from django.core.exceptions import ImproperlyConfigured

from portal.env import Env
from portal.requests import Client, TrustedProxies, forwarded_client, networks

PROXY = "10.0.0.5"
TRUSTED = networks(["10.0.0.0/8", "fd00::/64"])


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "proto", "expected"),
    [
        # Not a trusted proxy: the headers are the client's own words.
        ("198.51.100.7", "203.0.113.9", "https", Client("198.51.100.7", None)),
        # One proxy: the right-most hop; whatever the client wrote to its left is ignored.
        (PROXY, "6.6.6.6, 198.51.100.7", "https", Client("198.51.100.7", "https")),
        (PROXY, "198.51.100.7", "http", Client("198.51.100.7", "http")),
        # Two proxies that append: past the inner one; the scheme the outer one received.
        (PROXY, "6.6.6.6, 198.51.100.7, 10.0.0.9", "https, http", Client("198.51.100.7", "https")),
        # Two proxies, the inner one overwriting the scheme: its only value.
        (PROXY, "198.51.100.7, 10.0.0.9", "https", Client("198.51.100.7", "https")),
        # Nothing but proxies: the left-most of them.
        (PROXY, "10.0.0.7", "", Client("10.0.0.7", None)),
        # A hop that is no address: nothing to its left is believed, the last proxy is the client.
        (PROXY, "198.51.100.7, junk", "https", Client(PROXY, "https")),
        (PROXY, "", "", Client(PROXY, None)),
        # Ports and brackets; a dual-stack listener's IPv4-mapped peer; IPv6 proxies.
        (PROXY, "[2001:db8::7]:4711", "HTTPS", Client("2001:db8::7", "https")),
        ("::ffff:10.0.0.5", "198.51.100.7:4711", "", Client("198.51.100.7", None)),
        ("fd00::2", "2001:db8::7", "wss", Client("2001:db8::7", None)),
    ],
)
def test_the_client_is_the_right_most_hop_that_is_not_a_trusted_proxy(peer, forwarded_for, proto, expected):
    assert forwarded_client(peer, forwarded_for, proto, TRUSTED) == expected


def test_trusted_proxies_are_read_from_the_environment_and_a_bad_one_stops_start_up():
    assert Env({"TRUSTED_PROXIES": "10.0.0.5, 10.1.0.0/16,::1"}).networks("TRUSTED_PROXIES") == [
        "10.0.0.5/32",
        "10.1.0.0/16",
        "::1/128",
    ]
    assert Env({}).networks("TRUSTED_PROXIES") == []
    with pytest.raises(ImproperlyConfigured, match="TRUSTED_PROXIES: 'proxy.local' is not an IP"):
        Env({"TRUSTED_PROXIES": "proxy.local"}).networks("TRUSTED_PROXIES")


def seen_scope(trusted: list[str], scope: dict) -> dict:
    """The scope the application behind TrustedProxies receives."""
    seen = {}

    async def app(scope, receive, send):
        seen.update(scope)

    async def run() -> None:
        await TrustedProxies(app, trusted)(scope, None, None)

    async_to_sync(run)()
    return seen


HEADERS = [(b"x-forwarded-for", b"6.6.6.6, 198.51.100.7"), (b"x-forwarded-proto", b"https"), (b"host", b"x")]


@pytest.mark.parametrize("kind", ["http", "websocket"])
def test_without_trusted_proxies_the_connection_counts_and_the_headers_are_dropped(kind):
    scope = {"type": kind, "client": ("198.51.100.7", 5000), "scheme": "http", "headers": HEADERS}
    seen = seen_scope([], scope)
    assert seen["client"] == ("198.51.100.7", 5000)
    assert seen["scheme"] == "http"
    assert seen["headers"] == [(b"host", b"x")]


@pytest.mark.parametrize(("kind", "scheme"), [("http", "https"), ("websocket", "wss")])
def test_a_trusted_proxy_gives_the_client_and_the_scheme(kind, scheme):
    scope = {"type": kind, "client": (PROXY, 5000), "scheme": "http", "headers": HEADERS}
    seen = seen_scope(["10.0.0.0/8"], scope)
    assert seen["client"] == ("198.51.100.7", 0)
    assert seen["scheme"] == scheme
    assert seen["headers"] == [(b"host", b"x")]
    untrusted = seen_scope(["10.9.0.0/16"], scope)
    assert untrusted["client"] == (PROXY, 5000)
    assert untrusted["scheme"] == "http"


# --- At the sign-in page, through Django's ASGI handler ----------------------------------------


def asgi_request(app, method: str, path: str, *, peer: str, headers: dict[str, str], body: str = "") -> dict:
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "query_string": b"",
        "client": (peer, 40000),
        "server": ("127.0.0.1", 8000),
        "headers": [(b"host", b"127.0.0.1:8000")]
        + [(name.lower().encode(), value.encode()) for name, value in headers.items()],
    }

    async def run() -> dict:
        communicator = ApplicationCommunicator(app, scope)
        await communicator.send_input({"type": "http.request", "body": body.encode()})
        start = await communicator.receive_output(timeout=20)
        content = b""
        while True:
            message = await communicator.receive_output(timeout=20)
            content += message.get("body", b"")
            if not message.get("more_body"):
                break
        return {"status": start["status"], "headers": start["headers"], "body": content}

    return async_to_sync(run)()


def failed_login(app, email: str, *, peer: str, forwarded_for: str) -> bytes:
    headers = {"X-Forwarded-For": forwarded_for}
    page = asgi_request(app, "GET", "/accounts/login/", peer=peer, headers=headers)
    cookie = next(v.decode().split(";")[0] for k, v in page["headers"] if k.lower() == b"set-cookie")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page["body"])
    assert token
    form = urlencode({"login": email, "password": "wrong password", "csrfmiddlewaretoken": token[1].decode()})
    headers |= {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
    return bytes(asgi_request(app, "POST", "/accounts/login/", peer=peer, headers=headers, body=form)["body"])


# Django's handler runs the view in another thread (another connection): the test's data must be
# committed. Not serialized_rollback: that restore collides with the content types a flush by
# tests/portal/test_processes.py (run just before, on PostgreSQL) recreates.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_behind_a_trusted_proxy_the_sign_in_lock_holds_per_client(settings):
    """Five failures lock the client's address (the hop the proxy saw), however the client rotates
    what it writes in front of it; another client behind the same proxy is not locked out."""
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    app = TrustedProxies(get_asgi_application())
    for attempt in range(5):
        spoofed = f"203.0.113.{attempt}, 198.51.100.7"
        assert b"Too many" not in failed_login(
            app, f"p{attempt}@example.test", peer=PROXY, forwarded_for=spoofed
        )
    locked = failed_login(app, "p9@example.test", peer=PROXY, forwarded_for="192.0.2.1, 198.51.100.7")
    assert b"Too many failed sign-ins" in locked
    other = failed_login(app, "p9@example.test", peer=PROXY, forwarded_for="198.51.100.8")
    assert b"Too many failed sign-ins" not in other
