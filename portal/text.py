"""People's text, checked once: what no database column can hold is refused with a message.

PostgreSQL's text and jsonb refuse NUL, and UTF-8 cannot encode a lone surrogate (JSON's
"\\ud800" decodes to one). Forms and serializers refuse both already; the services check again,
for every other way in (websocket messages, management commands, other services)."""

from django.core.exceptions import ValidationError

UNSTORABLE = "Remove the control character (NUL) or the broken character from the text."


def storable(value: str) -> bool:
    """False if ``value`` holds a NUL or a lone surrogate."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def clean_text(value: str | None, *, field: str, limit: int, what: str = "it") -> str:
    """``value`` without surrounding whitespace, or a ValidationError on ``field`` when it holds a
    character nothing stores or is longer than ``limit`` ("Keep <what> under <limit> characters.")."""
    text = (value or "").strip()
    if not storable(text):
        raise ValidationError({field: UNSTORABLE})
    if len(text) > limit:
        raise ValidationError({field: f"Keep {what} under {limit} characters."})
    return text
