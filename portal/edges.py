"""Small helpers every app's views share: who is asking, what they sent, where to go back, and
how a service's refusal reaches the page. The ground: imports no app."""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

if TYPE_CHECKING:  # a type only: the ground imports no app at run time
    from accounts.models import User

T = TypeVar("T")


def current_user(request: HttpRequest) -> "User":
    """The signed-in user of a page behind the login rule (LoginRequiredMiddleware)."""
    assert request.user.is_authenticated, "pages behind the login rule have a signed-in user"
    return cast("User", request.user)


def parse_int(value: Any) -> int | None:
    """A positive whole number from a query or form value, or None; never an overflow or a 500."""
    # isascii: "²" is a digit to str.isdigit, not to int()
    if not (isinstance(value, str) and value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if number < 2**63 else None


def found_or_404(lookup: Callable[[], T], message: str) -> T:
    """What a selector finds for the user, or a 404 saying so (missing and not-yours look alike)."""
    try:
        return lookup()
    except (ObjectDoesNotExist, ValidationError):
        raise Http404(message) from None


def flash_errors(request: HttpRequest, error: ValidationError) -> None:
    """A service's refusal as messages on the next page."""
    for message in error.messages:
        messages.error(request, message)


def show_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's refusal on the form that called it: each message on its field, else the form's."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def back(request: HttpRequest, fallback: str, **kwargs: Any) -> HttpResponse:
    """Back to the page the form came from (``next``, when it is ours), else to ``fallback``."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect(fallback, **kwargs)


def wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def confirm(
    request: HttpRequest,
    *,
    title: str,
    question: str,
    consequences: list[str],
    button: str,
    cancel: str,
    fields: dict[str, str] | None = None,
    danger: bool = True,
) -> HttpResponse:
    """The page a destructive action's GET shows: what will happen, and a button that POSTs the same
    URL (with ``fields``) to do it. Nothing changes until that POST."""
    return render(
        request,
        "confirm.html",
        {
            "title": title,
            "question": question,
            "consequences": consequences,
            "button": button,
            "cancel": cancel,
            "fields": fields or {},
            "danger": danger,
        },
    )
