"""The current request's origin (address, user agent), for audit records written deeper down."""

from contextvars import ContextVar

from portal.requests import RequestOrigin

current: ContextVar[RequestOrigin | None] = ContextVar("audit_origin", default=None)


def current_origin() -> RequestOrigin | None:
    return current.get()
