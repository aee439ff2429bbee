"""Request-wide audit: the request's origin for records written deeper down, and every change made
through the Django admin (privileged actions)."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from audit.context import current
from audit.services import record
from portal.requests import origin_of


class AuditMiddleware:
    """Remembers the request's origin while it is handled, so services need not pass it around; and
    records each POST to the platform admin with its outcome (Django 5.1+ writes the admin's own
    LogEntry rows in bulk, without signals, so they are audited here instead)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current.set(origin_of(request))
        try:
            response = self.get_response(request)
            if request.method == "POST" and request.path.startswith("/admin/") and request.user.is_staff:
                record(
                    action="admin.post",
                    actor=request.user,
                    outcome="success" if response.status_code < 400 else "failure",
                    path=request.path[:300],
                    status=response.status_code,
                )
            return response
        finally:
            current.reset(token)
