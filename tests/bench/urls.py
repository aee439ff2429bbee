"""The portal's URLs and one trivial JSON view behind the same middleware: the baseline that the
incident-creation benchmark compares with."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.urls import path

from portal.urls import urlpatterns as portal_urlpatterns


@login_not_required
def trivial(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


urlpatterns = [path("bench/trivial/", trivial), *portal_urlpatterns]
