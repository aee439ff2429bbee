"""Template filters for the time-zone rule (docs/time-zones.md), built into every template.

A person's own views need nothing: the middleware activates their zone, so ``|date:"… T"`` shows
their local time and its abbreviation. A site's events say where they happened:
``{{ value|site_time:site }}`` (a datetime) and ``{{ value|site_date:site }}`` (a date, such as a
corrective action's due day) show the value in the site's zone, with the zone's abbreviation.
``site`` is anything with a ``time_zone`` name (a site) or the name itself.
"""

from datetime import date, datetime, time
from typing import Any

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format

from portal import zones

register = template.Library()

SITE_TIME = "j M Y H:i T"
SITE_DATE = "j M Y"


def _zone_of(site: Any) -> Any:
    return zones.zone(site if isinstance(site, str) else getattr(site, "time_zone", None))


@register.filter
def site_time(value: datetime | None, site: Any) -> str:
    """The moment in the site's zone: "1 Dec 2026 05:37 CST"."""
    if not isinstance(value, datetime):
        return ""
    return date_format(timezone.localtime(value, _zone_of(site)), SITE_TIME)


@register.filter
def site_date(value: date | None, site: Any) -> str:
    """A calendar day at the site, with the zone's abbreviation on that day: "5 Dec 2026 (CST)"."""
    if not isinstance(value, date):
        return ""
    in_zone = _zone_of(site)
    midday = datetime.combine(value, time(12), tzinfo=in_zone)
    return f"{date_format(value, SITE_DATE)} ({zones.abbreviation(midday, in_zone)})"
