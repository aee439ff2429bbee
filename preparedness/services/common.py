"""What every preparedness service shares: refusals, text, and the rich-text sanitizer."""

import nh3
from django.core.exceptions import PermissionDenied, ValidationError

from portal.text import clean_text

# Rich text a plan's sections may hold: structure and emphasis, links, nothing that runs or loads.
ALLOWED_TAGS = {
    "p", "br", "h3", "h4", "ul", "ol", "li", "strong", "em", "b", "i", "u", "a",
    "blockquote", "table", "thead", "tbody", "tr", "th", "td", "code", "pre", "hr",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"scope"}, "td": {"colspan", "rowspan"}}
SECTION_LIMIT = 50_000


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def text(value: str | None, field: str, limit: int = 10_000, *, required: bool = False) -> str:
    cleaned = clean_text(value, field=field, limit=limit)
    if required and not cleaned:
        raise ValidationError({field: "This is needed."})
    return cleaned


def sanitize(html: str) -> str:
    """Rich text made safe by nh3 (the Ammonia sanitizer): scripts, styles, event handlers and
    javascript: links are removed, links get rel="noopener noreferrer"."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer",
    )


def clean_sections(sections: list[tuple[str, str]]) -> list[dict[str, str]]:
    """[(heading, html)] → [{heading, html}] with the html sanitized; empty sections dropped."""
    cleaned = []
    for index, (heading, html) in enumerate(sections):
        heading = text(heading, f"heading_{index}", 200)
        body = text(html, f"html_{index}", SECTION_LIMIT)
        if not heading and not body:
            continue
        if not heading:
            raise ValidationError({f"heading_{index}": "Give the section a heading."})
        cleaned.append({"heading": heading, "html": sanitize(body)})
    if not cleaned:
        raise ValidationError("Write at least one section.")
    return cleaned
