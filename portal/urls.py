from django.contrib import admin
from django.contrib.auth.decorators import login_not_required, login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import IsAuthenticated

from accounts.views import home
from notifications.views import healthz_detail
from portal import webapp
from portal.health import healthz


@login_not_required
def no_signup(request: HttpRequest) -> HttpResponse:
    raise Http404("Watchpost has no open sign-up: ask your organization's admin for an invitation.")


# The admin signs in through the portal's login: the same lockout and MFA apply.
admin.site.login = login_required(admin.site.login)  # type: ignore[method-assign]
admin.site.site_header = "Watchpost platform admin"
admin.site.site_title = "Watchpost admin"

urlpatterns = [
    path("", home, name="home"),
    path("healthz", login_not_required(healthz), name="healthz"),
    # The heartbeats behind it, for platform admins (notifications owns them).
    path("healthz/detail", healthz_detail, name="healthz_detail"),
    # The installable guard app (portal/webapp.py): the worker at the root, so that its scope is the site.
    path("manifest.webmanifest", webapp.manifest, name="webapp_manifest"),
    path("sw.js", webapp.service_worker, name="service_worker"),
    path("offline/", webapp.offline, name="offline"),
    # allauth's sign-up view is shadowed: people join only by invitation.
    path("accounts/signup/", no_signup, name="account_signup"),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("", include("incidents.urls")),
    path("", include("dispatch.urls")),
    path("notifications/", include("notifications.urls")),
    path("", include("debriefs.urls")),
    path("", include("bulletins.urls")),
    path("", include("patrols.urls")),
    path("", include("exports.urls")),
    path("", include("preparedness.urls")),
    path("", include("analytics.urls")),
    path("", include("audit.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("portal.api_urls")),
    # For signed-in people and API tokens only (DRF's views would otherwise skip the login rule).
    path("api/schema/", SpectacularAPIView.as_view(permission_classes=[IsAuthenticated]), name="api-schema"),
    path(
        "api/docs/",
        login_required(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
]
