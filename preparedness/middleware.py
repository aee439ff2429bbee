"""Before a guard's first page after signing in: the post orders and plans in force at their sites
that they have not acknowledged. The panic button, the API, sign-out, this app's pages and the shift
page (which lists the same readings and refuses a shift until they are acknowledged: patrols asks
settings.SHIFT_READINESS_RULE) are never held up."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from preparedness import selectors
from preparedness.receivers import ACK_DUE

PASSING = (
    "/accounts/",
    "/static/",
    "/healthz",
    "/api/",
    "/panic",
    "/preparedness/",
    "/notifications/",
    "/community/",
    "/patrols/",
)


class AcknowledgementMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if (
            session is not None
            and session.get(ACK_DUE)
            and request.method == "GET"
            and not request.path.startswith(PASSING)
            and request.user.is_authenticated
        ):
            if selectors.pending_acknowledgements(user=request.user).exists():
                return redirect("preparedness:acknowledge")
            del session[ACK_DUE]
        return self.get_response(request)
