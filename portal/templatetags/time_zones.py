"""Template filters for the time-zone rule (docs/time-zones.md), built into every template.

A person's own views need nothing: the middleware activates their zone, so ``|date:"… T"`` shows
their local time and its abbreviation. A site's events say where they happened:
``{{ value|site_time:site }}`` (a datetime) and ``{{ value|site_date:site }}`` (a date, such as a
corrective action's due day) show the value in the site's zone, with the zone's abbreviation.
``site`` is anything with a ``time_zone`` name (a site) or the name itself.

Every date or time a person reads uses one of the portal's named formats (``portal/zones.py``), in
the zone that ``{% timezone %}`` or the middleware made current: ``|clock`` "14:05 CST",
``|when`` "Wed 2 Dec 14:05 CST" (the year joins when it is not this year's), ``|day`` "2 Dec 2026",
``|month`` "December 2026"; ``|clock:"seconds"`` and ``|when:"seconds"`` add the seconds,
``|day:"weekday"`` the day's name. ``|date:`` is kept for machine formats ('c', ISO).
"""

from datetime import date, datetime, time
from typing import Any

from django import template
from django.utils import timezone

from portal import zones

register = template.Library()


def _flag(arg: str | None, name: str) -> bool:
    if arg in (None, ""):
        return False
    if arg != name:
        raise template.TemplateSyntaxError(f'Only "{name}" may follow this filter, not "{arg}".')
    return True


@register.filter(expects_localtime=True)
def clock(value: datetime | None, arg: str | None = None) -> str:
    """The time of day: "14:05 CST"; ``clock:"seconds"`` "14:05:09 CST"."""
    if not isinstance(value, datetime):
        return ""
    return zones.shown_time(value, seconds=_flag(arg, "seconds"))


@register.filter(expects_localtime=True)
def when(value: datetime | None, arg: str | None = None) -> str:
    """A moment: "Wed 2 Dec 14:05 CST" (the year when not this one's); ``when:"seconds"`` adds them."""
    if not isinstance(value, datetime):
        return ""
    return zones.shown_datetime(value, seconds=_flag(arg, "seconds"))


@register.filter(expects_localtime=True)
def day(value: date | None, arg: str | None = None) -> str:
    """A calendar day: "2 Dec 2026"; ``day:"weekday"`` "Wed 2 Dec 2026"."""
    if not isinstance(value, date):
        return ""
    return zones.shown_date(value, weekday=_flag(arg, "weekday"))


@register.filter(expects_localtime=True)
def month(value: date | None) -> str:
    """A month: "December 2026"."""
    if not isinstance(value, date):
        return ""
    return zones.shown_month(value)


def _zone_of(site: Any) -> Any:
    return zones.zone(site if isinstance(site, str) else getattr(site, "time_zone", None))


@register.filter
def site_time(value: datetime | None, site: Any) -> str:
    """The moment in the site's zone: "Tue 1 Dec 05:37 CST"."""
    if not isinstance(value, datetime):
        return ""
    return zones.shown_datetime(timezone.localtime(value, _zone_of(site)))


@register.filter
def site_date(value: date | None, site: Any) -> str:
    """A calendar day at the site, with the zone's abbreviation on that day: "5 Dec 2026 (CST)"."""
    if not isinstance(value, date):
        return ""
    in_zone = _zone_of(site)
    midday = datetime.combine(value, time(12), tzinfo=in_zone)
    return f"{zones.shown_date(value)} ({zones.abbreviation(midday, in_zone)})"
