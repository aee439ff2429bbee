"""The session rules for websockets: a socket opens only for a user who satisfies MFA and whose
session has not idled out (the pages' rules, accounts/middleware.py, applied at the handshake)."""

import time
from typing import Any

from channels.db import database_sync_to_async

from accounts import policy
from accounts.middleware import LAST_SEEN

SESSION_RULES_FAILED = 4401


class SessionRulesMiddleware:
    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        user = scope.get("user")
        if (
            user is not None
            and user.is_authenticated
            and not await database_sync_to_async(self.allowed)(scope)
        ):
            await receive()  # the connect message
            await send({"type": "websocket.close", "code": SESSION_RULES_FAILED})
            return None
        return await self.inner(scope, receive, send)

    @staticmethod
    def allowed(scope: dict[str, Any]) -> bool:
        user = scope["user"]
        if not policy.mfa_satisfied(user):
            return False
        session = scope.get("session")
        last = session.get(LAST_SEEN) if session is not None else None
        return last is None or time.time() - float(last) <= policy.idle_timeout_seconds(user)
