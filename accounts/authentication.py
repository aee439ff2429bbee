"""API tokens for integrations: `Authorization: Bearer <token>` (or `Token <token>`), and their scope."""

from typing import TYPE_CHECKING, Any

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request

from accounts import policy, selectors, services
from accounts.models import ApiToken, User

if TYPE_CHECKING:  # importing DRF's views here would import this module again, through its settings
    from rest_framework.views import APIView

KEYWORDS = (b"bearer", b"token")


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """A token authenticates as its user until it expires or is revoked, while the user is active
    and keeps the session rule of MFA: a token is no way around a second factor."""

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
        token = selectors.get_unrevoked_api_token(secret=secret)
        if token is None:
            raise exceptions.AuthenticationFailed("The token is not valid, or it was revoked.")
        if token.expires_at <= timezone.now():
            raise exceptions.AuthenticationFailed(
                f"The token expired on {token.expires_at:%d %b %Y %H:%M} UTC: ask for a new one.",
                code="token_expired",
            )
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("The token's user is deactivated.")
        if not policy.mfa_satisfied(token.user):
            raise exceptions.AuthenticationFailed(
                "This token acts as someone who must use two-factor authentication and has not set it "
                "up: they sign in and set it up first.",
                code="mfa_required",
            )
        services.record_api_token_use(token=token)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        # Having a challenge makes DRF answer 401 (not 403) to requests without credentials.
        return 'Bearer realm="api"'


class TokenScope(permissions.BasePermission):
    """A read-only token may read and nothing else; read-write tokens and sessions are not limited here."""

    message = "This token is read-only: it may not change anything. Use a read-and-write token."
    code = "read_only_token"

    def has_permission(self, request: Request, view: "APIView") -> bool:
        token = request.auth
        if not isinstance(token, ApiToken) or request.method in permissions.SAFE_METHODS:
            return True
        return token.scope == ApiToken.Scope.WRITE


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = ApiTokenAuthentication
    name = "apiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A token from the API tokens page (People → API tokens): read-only or "
            "read-write, valid until it expires or is revoked.",
        }
