"""Who is on duty where, as a hook: the ground. A higher app (patrols) registers the one function
that answers "the site of this guard's open shift"; lower apps (incidents' report form, dispatch's
panic site) ask ``current_site_id`` without importing it. Nothing registered: None."""

from collections.abc import Callable
from typing import Any

_answer: Callable[[Any], int | None] | None = None


def register_current_site(answer: Callable[[Any], int | None]) -> None:
    """Patrols answers for the open shift (patrols/duty.py, at app start)."""
    global _answer
    _answer = answer


def current_site_id(user: Any) -> int | None:
    """The pk of the site of the user's open shift, or None (no shift, or no app answers)."""
    return _answer(user) if _answer is not None else None
