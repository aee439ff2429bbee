"""What every debrief service checks first: the right to act, and the size and shape of its text."""

from django.core.exceptions import PermissionDenied

from portal.text import clean_text

MAX_TEXT = 20_000


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def clean(value: str, field: str) -> str:
    return clean_text(value, field=field, limit=MAX_TEXT)
