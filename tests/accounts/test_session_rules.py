"""MFA for liaisons and admins, lockout after failed logins, idle timeouts: pages, API and sockets."""

import time

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user
from django.urls import reverse

from accounts.middleware import LAST_SEEN
from accounts.models import Role
from accounts.websocket import SessionRulesMiddleware
from dispatch.routing import websocket_urlpatterns
from tests.factories import PASSWORD, UserFactory, member, totp_code


@pytest.fixture
def liaison_without_mfa(world):
    return member(Role.LIAISON, world.agency_x, mfa=False)


def test_a_liaison_without_mfa_reaches_only_the_set_up_page(client, liaison_without_mfa):
    client.force_login(liaison_without_mfa)
    response = client.get(reverse("dispatch:board"))
    assert response.status_code == 302
    assert response.url == reverse("mfa_activate_totp")
    setup = client.get(reverse("mfa_activate_totp"), follow=True)  # allauth may ask for the password first
    assert setup.status_code == 200
    assert setup.request["PATH_INFO"].startswith("/accounts/")
    api = client.get("/api/v1/escalations/")
    assert api.status_code == 403
    assert api.json()["code"] == "mfa_required"


@pytest.mark.parametrize("who", ["liaison_x", "admin_a", "admin_x", "platform"])
def test_those_who_need_mfa_and_have_it_get_in(client, world, who):
    client.force_login(getattr(world, who))
    assert client.get(reverse("home")).status_code == 200


def test_guards_and_supervisors_do_not_need_mfa(client, world):
    for who in (world.guard_a, world.supervisor_a):
        client.force_login(who)
        assert client.get(reverse("home")).status_code == 200


def test_the_login_asks_for_the_code_when_mfa_is_set_up(client, world):
    response = client.post(reverse("account_login"), {"login": world.liaison_x.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("mfa_authenticate")
    assert get_user(client).is_anonymous
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code()})
    assert response.status_code == 302
    assert get_user(client) == world.liaison_x


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_no_socket_without_mfa(world):
    user = await sync_to_async(member)(Role.LIAISON, world.agency_x, mfa=False)
    communicator = WebsocketCommunicator(
        SessionRulesMiddleware(URLRouter(websocket_urlpatterns)), "/ws/board/"
    )
    communicator.scope["user"] = user
    connected, code = await communicator.connect()
    assert not connected
    assert code == 4401


def test_five_failures_lock_the_account_for_ten_minutes(client, world):
    for _ in range(5):
        client.post(reverse("account_login"), {"login": world.guard_a.email, "password": "wrong password"})
    response = client.post(reverse("account_login"), {"login": world.guard_a.email, "password": PASSWORD})
    assert response.status_code in (200, 429)
    assert get_user(client).is_anonymous
    assert b"is locked for 10 minutes" in response.content


def test_five_failures_from_one_address_lock_that_address(client, world):
    others = [UserFactory() for _ in range(5)]
    for other in others:
        client.post(
            reverse("account_login"), {"login": other.email, "password": "wrong"}, REMOTE_ADDR="10.1.1.1"
        )
    response = client.post(
        reverse("account_login"), {"login": world.guard_a.email, "password": PASSWORD}, REMOTE_ADDR="10.1.1.1"
    )
    assert get_user(client).is_anonymous
    assert response.status_code in (200, 429)


@pytest.mark.parametrize(
    ("who", "idle", "signed_out"),
    [
        ("liaison_x", 31 * 60, True),
        ("liaison_x", 29 * 60, False),
        ("guard_a", 31 * 60, False),
        ("guard_a", 9 * 3600, True),
    ],
)
def test_idle_sessions_are_signed_out(client, world, who, idle, signed_out):
    client.force_login(getattr(world, who))
    session = client.session
    session[LAST_SEEN] = time.time() - idle
    session.save()
    response = client.get(reverse("home"))
    assert (response.status_code == 302) is signed_out
    assert get_user(client).is_anonymous is signed_out


def test_the_admin_signs_in_through_the_portal_login(client, db):
    response = client.get("/admin/login/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_a_code_typed_as_its_step_ends_is_accepted_once(client, world):
    """Refused before: the app showed the code, the next 30-second step began while it was sent."""
    previous_step = totp_code(at=time.time() - 30)
    client.post(reverse("account_login"), {"login": world.liaison_x.email, "password": PASSWORD})
    response = client.post(reverse("mfa_authenticate"), {"code": previous_step})
    assert response.status_code == 302
    assert get_user(client) == world.liaison_x
    client.logout()
    client.post(reverse("account_login"), {"login": world.liaison_x.email, "password": PASSWORD})
    again = client.post(reverse("mfa_authenticate"), {"code": previous_step})
    assert again.status_code == 200
    assert get_user(client).is_anonymous
