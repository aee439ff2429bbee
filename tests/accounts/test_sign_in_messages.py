"""Sign-in messages say what happened and for how long (issue 14, item 11): a wrong password, the
lockout, a wrong or reused second-factor code, an idle session, a deactivated account."""

import time

import pytest
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.contrib.auth import get_user
from django.urls import reverse

from accounts.forms import CODE_USED, CODE_WRONG, RECOVERY_CODE_USED
from accounts.middleware import LAST_SEEN
from tests.factories import PASSWORD, totp_code


def sign_in(client, email: str, password: str = PASSWORD, **extra):
    return client.post(reverse("account_login"), {"login": email, "password": password}, **extra)


def text(response) -> str:
    return response.content.decode()


def test_a_wrong_password_says_so_and_what_repeating_it_does(client, world):
    response = sign_in(client, world.guard_a.email, "not the password")
    assert response.status_code == 200
    assert "That email address and password do not match an account." in text(response)
    assert "After 5 failed attempts within 10 minutes, signing in is locked for 10 minutes." in text(response)


def test_the_lockout_says_for_how_long_even_with_the_right_password(client, world):
    for _ in range(5):
        sign_in(client, world.guard_a.email, "not the password")
    response = sign_in(client, world.guard_a.email)
    assert get_user(client).is_anonymous
    assert "Too many failed sign-ins" in text(response)
    assert "this account, or this address, is locked for 10 minutes" in text(response)
    assert "do not match" not in text(response)  # it is the lock, not the password, that refuses


def test_the_lockout_follows_its_settings(client, world, settings):
    settings.LOGIN_FAILURES_ALLOWED, settings.LOGIN_LOCKOUT_MINUTES = 3, 2
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/2m/ip,3/2m/key"}
    for _ in range(3):
        sign_in(client, world.guard_a.email, "not the password")
    response = sign_in(client, world.guard_a.email)
    assert get_user(client).is_anonymous
    assert "after 3 failed attempts within 2 minutes" in text(response)
    assert "is locked for 2 minutes" in text(response)


def test_a_second_factor_code_used_twice_says_it_was_used(client, world):
    code = totp_code()
    sign_in(client, world.liaison_x.email)
    assert client.post(reverse("mfa_authenticate"), {"code": code}).status_code == 302
    client.logout()
    sign_in(client, world.liaison_x.email)
    again = client.post(reverse("mfa_authenticate"), {"code": code})
    assert again.status_code == 200
    assert get_user(client).is_anonymous
    assert CODE_USED in text(again).replace("&#x27;", "'")
    assert "each code works once" in text(again)


def test_a_wrong_second_factor_code_says_what_to_enter(client, world):
    sign_in(client, world.liaison_x.email)
    wrong = f"{(int(totp_code()) + 1) % 1_000_000:06d}"
    response = client.post(reverse("mfa_authenticate"), {"code": wrong})
    assert response.status_code == 200
    assert get_user(client).is_anonymous
    assert CODE_WRONG in text(response)
    assert CODE_USED not in text(response).replace("&#x27;", "'")


def test_a_recovery_code_used_twice_says_it_was_used(client, world):
    code = RecoveryCodes.activate(world.liaison_x).get_unused_codes()[0]
    sign_in(client, world.liaison_x.email)
    assert client.post(reverse("mfa_authenticate"), {"code": code}).status_code == 302
    client.logout()
    sign_in(client, world.liaison_x.email)
    again = client.post(reverse("mfa_authenticate"), {"code": code})
    assert get_user(client).is_anonymous
    assert RECOVERY_CODE_USED in text(again).replace("&#x27;", "'")


@pytest.mark.parametrize(
    ("who", "idle", "said"),
    [("liaison_x", 31 * 60, "after 30 minutes without activity"), ("guard_a", 9 * 3600, "after 8 hours")],
)
def test_an_idle_sign_out_says_after_how_long(client, world, who, idle, said):
    client.force_login(getattr(world, who))
    session = client.session
    session[LAST_SEEN] = time.time() - idle
    session.save()
    response = client.get(reverse("home"), follow=True)
    assert get_user(client).is_anonymous
    assert said in text(response)


def test_the_deactivated_page_says_what_happened(client, db):
    response = client.get(reverse("account_inactive"))
    assert "Your organization's admin has deactivated this account" in text(response)
