"""A URL that fails, for the server-error page's test (tests/portal/test_error_pages.py)."""

from django.http import HttpRequest, HttpResponse
from django.urls import path


def fail(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a failure on purpose")


urlpatterns = [path("fail/", fail)]
