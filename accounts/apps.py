from typing import Any

from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_out

from accounts.events import session_ended
from portal.realtime import publish_on_commit


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and tenancy"

    def ready(self) -> None:
        user_logged_out.connect(_close_sockets, dispatch_uid="accounts.close_sockets_on_logout")


def _close_sockets(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """Logging out (from any page, the admin included) closes the user's live sockets."""
    if user is not None:
        publish_on_commit(session_ended(user.pk))
