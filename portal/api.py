"""The ground of every app's API: the base viewset, pagination, ids, and the one JSON shape of errors.

``{"detail": "what went wrong", "code": "invalid", "errors": {"field": ["message"]}}`` — ``errors``
only on 400s from validation, keyed by the field at fault (``parties[1].role`` for nested input,
``non_field_errors`` when no one field is at fault). Services raise Django's exceptions; this
maps them: ValidationError -> 400, one with code "conflict" (an optimistic-lock miss) -> 409,
PermissionDenied -> 403, Http404 and DoesNotExist -> 404.
"""

import uuid
from collections import defaultdict
from typing import TYPE_CHECKING, Any, cast

from django.contrib.auth.decorators import login_not_required
from django.core import exceptions as django_exceptions
from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, pagination, routers, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

if TYPE_CHECKING:  # a type only: the ground imports no app at run time
    from accounts.models import User

NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Someone else changed this since you read it. Reload it, then make your change again."
    default_code = "conflict"


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    exc = as_api_exception(exc)
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten(exc.detail)
        response.data = {"detail": summary(errors), "code": _one_code(exc.get_codes()), "errors": errors}
    else:
        code = exc.get_codes()
        response.data = {"detail": str(exc.detail), "code": code if isinstance(code, str) else "error"}
    response.data = encodable(response.data)
    return response


def encodable(value: Any) -> Any:
    """Messages quote what was sent (an unknown field, a bad id); a lone surrogate in it (JSON's
    "\\ud800") cannot be encoded as UTF-8, so it is shown escaped instead of failing the answer."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {encodable(key): encodable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [encodable(item) for item in value]
    return value


def as_api_exception(exc: Exception) -> Exception:
    """Django's exceptions (raised by services and selectors) as DRF's, keeping their messages."""
    if isinstance(exc, django_exceptions.ValidationError):
        if getattr(exc, "code", None) == "conflict":
            return Conflict(" ".join(exc.messages))
        if hasattr(exc, "error_dict"):
            detail = {
                NON_FIELD if field == django_exceptions.NON_FIELD_ERRORS else field: messages
                for field, messages in exc.message_dict.items()
            }
            return exceptions.ValidationError(detail)
        return exceptions.ValidationError({NON_FIELD: exc.messages}, code=getattr(exc, "code", None))
    if isinstance(exc, django_exceptions.PermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, django_exceptions.ObjectDoesNotExist):
        model = type(exc).__qualname__.removesuffix(".DoesNotExist").lower()
        return exceptions.NotFound(f"No {model} with that id, or it is not visible to you.")
    if isinstance(exc, Http404):
        return exceptions.NotFound(str(exc) or None)
    return exc


def flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {"field": [...], "parties[1].role": [...]}."""
    errors: defaultdict[str, list[str]] = defaultdict(list)
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = str(key) if key != NON_FIELD or not prefix else ""
            for field, messages in flatten(value, _join(prefix, name)).items():
                errors[field] += messages
    elif isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        for index, item in enumerate(detail):
            for field, messages in flatten(item, f"{prefix}[{index}]").items():
                errors[field] += messages
    elif isinstance(detail, list):
        errors[prefix or NON_FIELD] += [str(item) for item in detail]
    else:
        errors[prefix or NON_FIELD].append(str(detail))
    return dict(errors)


def summary(errors: dict[str, list[str]]) -> str:
    """One readable line: each message, led by its field's name."""
    parts = [
        message if field == NON_FIELD else f"{field}: {message}"
        for field, messages in errors.items()
        for message in messages
    ]
    return " ".join(parts) or "The request is not valid."


def _join(prefix: str, name: str) -> str:
    if not name:
        return prefix
    if not prefix:
        return name
    return f"{prefix}[{name}]" if name.isdigit() else f"{prefix}.{name}"


def _one_code(codes: Any) -> str:
    """The code shared by every message (e.g. "invalid_transition"), or "invalid" when they differ."""
    if isinstance(codes, str):
        return codes
    values = codes.values() if isinstance(codes, dict) else codes
    found = {_one_code(value) for value in values}
    return found.pop() if len(found) == 1 else "invalid"


# --- The base of every viewset ----------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    """Every error: a readable message, a code, and (on 400) the messages per field at fault."""

    detail = serializers.CharField()
    code = serializers.CharField()
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Messages per field at fault, e.g. {'severity': [...], 'parties[0].role': [...]}.",
    )


# An id the database can hold (a 64-bit key): a larger number is a 400, not an overflow.
ID_RANGE: dict[str, Any] = {"min_value": 1, "max_value": 2**63 - 1}


ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Not valid: the messages name the fields at fault."),
    401: OpenApiResponse(ErrorSerializer, description="No valid session or token."),
    403: OpenApiResponse(ErrorSerializer, description="You may not do this."),
    404: OpenApiResponse(ErrorSerializer, description="No such object, or you may not see it."),
}
CONFLICT = {409: OpenApiResponse(ErrorSerializer, description="Changed by someone else since you read it.")}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """The documented error answers of an operation, for its OpenAPI schema."""
    return {code: ERRORS[code] for code in codes}


class Pages(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class ApiViewSet(viewsets.GenericViewSet):
    """Base of every API viewset: reachable without a session, so that DRF (not the login
    redirect of LoginRequiredMiddleware) answers anonymous calls, with a JSON 401."""

    pagination_class = Pages

    @classmethod
    def as_view(cls, actions: Any = None, **initkwargs: Any) -> Any:
        return login_not_required(super().as_view(actions, **initkwargs))

    @property
    def user(self) -> "User":
        user = self.request.user
        assert user.is_authenticated, "IsAuthenticated lets only signed-in users through"
        return cast("User", user)

    def parse(self, serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
        serializer = serializer_class(data=data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def page(
        self, items: QuerySet[Any] | list[Any], serializer_class: type[serializers.Serializer], **context: Any
    ) -> Response:
        chosen = self.paginate_queryset(items)
        data = serializer_class(chosen, many=True, context={**self.get_serializer_context(), **context}).data
        return self.get_paginated_response(data)


class ApiRootView(routers.APIRootView):
    @classmethod
    def as_view(cls, **initkwargs: Any) -> Any:
        return login_not_required(super().as_view(**initkwargs))


def public_id(value: str, field: str = "id") -> uuid.UUID:
    """A UUID from the URL or the body, or a 400 naming the field."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise serializers.ValidationError({field: [f"“{value}” is not a valid id (a UUID)."]}) from None
