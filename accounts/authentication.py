"""API token authentication for integrations: `Authorization: Bearer <token>` (or `Token <token>`)."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accounts import selectors, services
from accounts.models import User

KEYWORDS = (b"bearer", b"token")


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """A token issued by an org admin authenticates as its user until revoked or the user is deactivated."""

    def authenticate(self, request: Request) -> tuple[User, Any] | None:
        words = authentication.get_authorization_header(request).split()
        if not words or words[0].lower() not in KEYWORDS:
            return None
        if len(words) != 2:
            raise exceptions.AuthenticationFailed("Send the header as 'Authorization: Bearer <token>'.")
        try:
            secret = words[1].decode("ascii")
        except UnicodeError:
            raise exceptions.AuthenticationFailed("The token is not valid.") from None
        token = selectors.get_active_api_token(secret=secret)
        if token is None:
            raise exceptions.AuthenticationFailed("The token is not valid, or it was revoked.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("The token's user is deactivated.")
        services.record_api_token_use(token=token)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        # Having a challenge makes DRF answer 401 (not 403) to requests without credentials.
        return 'Bearer realm="api"'


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = ApiTokenAuthentication
    name = "apiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A token issued by your organization's admin (People → API tokens).",
        }
