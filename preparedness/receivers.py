"""The sign-in hook of acknowledgements: a guard who signs in is asked, before anything else, to read
what came into force at their sites (the middleware does the asking). The hard rule is the shift's:
patrols refuses to start one until the site's readings are acknowledged (SHIFT_READINESS_RULE); this
asks earlier, so that a guard reads before walking to the site."""

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from preparedness import policy

ACK_DUE = "preparedness.ack_due"


@receiver(user_logged_in, dispatch_uid="preparedness.ack_on_sign_in")
def ask_for_acknowledgements(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session") and policy.is_guard(user):
        request.session[ACK_DUE] = True
