"""Session rules for every page: MFA before anything for those who need it, the idle timeout, and
the person's time zone."""

import time
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from accounts import policy, selectors

LAST_SEEN = "watchpost.last_seen"
# Pages a signed-in user needs before the rules are satisfied: allauth (2FA set-up, logout, password)
# and the static files and health check.
EXEMPT_PREFIXES = ("/accounts/", "/static/", "/healthz", "/invitations/")


def _duration(seconds: int) -> str:
    """30 minutes, 8 hours, 1 hour: how long the idle limit is, in words."""
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return f"{hours} hour{'s' if hours != 1 else ''}"
    minutes = max(1, round(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _exempt(request: HttpRequest) -> bool:
    return request.path.startswith(EXEMPT_PREFIXES)


class IdleTimeoutMiddleware:
    """Signs out a session left unused longer than its limit (30 minutes for liaisons and admins)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            now = time.time()
            last = request.session.get(LAST_SEEN)
            limit = policy.idle_timeout_seconds(user)
            if last is not None and now - float(last) > limit:
                logout(request)
                if request.path.startswith("/api/"):
                    return JsonResponse(
                        {"detail": "Your session timed out.", "code": "session_expired"}, status=401
                    )
                messages.info(
                    request, f"You were signed out after {_duration(limit)} without activity: sign in again."
                )
                return redirect(f"{reverse('account_login')}?next={request.path}")
            if last is None or now - float(last) > 30:  # write the session at most every 30 s
                request.session[LAST_SEEN] = now
        return self.get_response(request)


class RequireMfaMiddleware:
    """Liaisons and admins reach no page until they have set up a second factor."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not _exempt(request) and not policy.mfa_satisfied(user):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"detail": "Set up two-factor authentication first.", "code": "mfa_required"}, status=403
                )
            messages.warning(request, "Your role requires two-factor authentication: set it up to continue.")
            return redirect("mfa_activate_totp")
        return self.get_response(request)


class TimeZoneMiddleware:
    """A signed-in person's pages show their own zone (their choice, else their organization's).

    Pages of a site's events name the site's zone themselves (``site_time``). The API is left in
    UTC: its times are instants in ISO 8601, the same for a session and a token.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated or request.path.startswith("/api/"):
            return self.get_response(request)
        with timezone.override(selectors.get_time_zone(for_user=request.user)):
            return self.get_response(request)
