from typing import Any
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest

from portal import links


def _attempts() -> str:
    return (
        f"{settings.LOGIN_FAILURES_ALLOWED} failed attempts within {settings.LOGIN_LOCKOUT_MINUTES} minutes"
    )


class AccountAdapter(DefaultAccountAdapter):
    """No open sign-up: people join through an org admin's invitation. Sign-in messages say what
    happened and for how long; password-reset links point where the portal is served."""

    @property
    def error_messages(self) -> dict[str, Any]:
        # Read when a message is shown, so that the lockout's settings are the ones in force.
        return {
            **DefaultAccountAdapter.error_messages,
            "email_password_mismatch": (
                "That email address and password do not match an account. "
                f"After {_attempts()}, signing in is locked for {settings.LOGIN_LOCKOUT_MINUTES} minutes."
            ),
            "too_many_login_attempts": (
                f"Too many failed sign-ins: after {_attempts()}, this account, or this address, is "
                f"locked for {settings.LOGIN_LOCKOUT_MINUTES} minutes. Try again when they have passed, "
                "or reset your password."
            ),
        }

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def get_reset_password_from_key_url(self, key: str) -> str:
        path = urlsplit(super().get_reset_password_from_key_url(key)).path
        return links.absolute_url(path, request=self.request)
