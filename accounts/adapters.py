from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    """No open sign-up: people join through an org admin's invitation."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False
