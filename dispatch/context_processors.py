import uuid
from typing import Any

from django.http import HttpRequest

from dispatch import policy


def panic(request: HttpRequest) -> dict[str, Any]:
    """The panic button is on every page a guard sees: one gesture away."""
    if not policy.has_panic_button(request.user):
        return {}
    return {"panic_sites": list(policy.panic_sites(request.user)), "panic_key": uuid.uuid4()}
