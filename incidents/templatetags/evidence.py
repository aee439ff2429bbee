from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def evidence_max_bytes() -> int:
    """The per-file size limit, so that a page can say it and the browser can check it before sending."""
    return int(settings.EVIDENCE_MAX_BYTES)
