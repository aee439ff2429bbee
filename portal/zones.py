"""The one time-zone rule, as small helpers every app uses (docs/time-zones.md).

Times are stored in UTC. A site's events (incidents, escalations, debriefs, corrective actions) are
shown and cut into days in the site's zone; a person's own views (their inbox, the audit trail they
read, their tokens) in the person's zone (their own choice, else their organization's). A date in a
list's filter is a calendar day where the thing happened: for incidents the day at each incident's
own site ("site-day rule"), however many zones the list spans.
"""

import zoneinfo
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from functools import cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.dateformat import format as date_format


@cache
def known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    """Refuse a name the tz database does not know (a typo, an abbreviation such as CST)."""
    if value not in known_zones():
        raise ValidationError(f"{value!r} is not a known time zone (e.g. Europe/London or America/Chicago).")


def zone_choices() -> list[tuple[str, str]]:
    """Every zone the tz database knows, for a select: by name."""
    return [(name, name.replace("_", " ")) for name in sorted(known_zones())]


def zone(name: str | None) -> zoneinfo.ZoneInfo:
    """The zone of that name; the portal's own (settings.TIME_ZONE) for none or an unknown one."""
    if name and name in known_zones():
        return zoneinfo.ZoneInfo(name)
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def local_today(in_zone: zoneinfo.ZoneInfo) -> date:
    """The calendar date it is now in that zone."""
    return timezone.localdate(timezone.now(), in_zone)


def start_of_day(day: date, in_zone: zoneinfo.ZoneInfo) -> datetime:
    """The first instant of that calendar day in that zone (midnight there), in UTC.

    In UTC because Python subtracts and compares two times of the same zone by their wall clocks,
    which hides the hour a DST change adds or removes.
    """
    return datetime.combine(day, time.min, tzinfo=in_zone).astimezone(UTC)


def day_range(
    since: date | None, until: date | None, in_zone: zoneinfo.ZoneInfo
) -> tuple[datetime | None, datetime | None]:
    """[start, end) of the days since..until (both included) in that zone; None for an open end.

    The end is the next day's midnight there, so a 23- or 25-hour day around a DST change is still
    one whole local day.
    """
    start = start_of_day(since, in_zone) if since else None
    end = start_of_day(until + timedelta(days=1), in_zone) if until else None
    return start, end


def within_local_days(
    field: str,
    *,
    since: date | None,
    until: date | None,
    groups: Iterable[tuple[str, Q]],
) -> Q:
    """A filter: ``field`` falls on the days since..until in each row's own zone.

    ``groups`` pairs each zone name with the condition that picks the rows of that zone (for
    incidents: their site is in it). Each group gets its own UTC range; an outer range (the
    earliest start and latest end over all zones) keeps the filter an index range scan.
    """
    if since is None and until is None:
        return Q()
    per_zone = Q(pk__in=[])
    starts: list[datetime] = []
    ends: list[datetime] = []
    for name, rows in groups:
        start, end = day_range(since, until, zone(name))
        bounds = Q()
        if start is not None:
            bounds &= Q(**{f"{field}__gte": start})
            starts.append(start)
        if end is not None:
            bounds &= Q(**{f"{field}__lt": end})
            ends.append(end)
        per_zone |= rows & bounds
    outer = Q()
    if starts:
        outer &= Q(**{f"{field}__gte": min(starts)})
    if ends:
        outer &= Q(**{f"{field}__lt": max(ends)})
    return outer & per_zone


def before_local_today(field: str, *, groups: Iterable[tuple[str, Q]]) -> Q:
    """A filter: the date in ``field`` is before today in each row's own zone (overdue)."""
    overdue = Q(pk__in=[])
    for name, rows in groups:
        overdue |= rows & Q(**{f"{field}__lt": local_today(zone(name))})
    return overdue


def abbreviation(moment: datetime, in_zone: zoneinfo.ZoneInfo) -> str:
    """The zone's short name at that moment (CST, CDT, NZDT; an offset such as -03 where it has none)."""
    return timezone.localtime(moment, in_zone).tzname() or in_zone.key


# The portal's one way to show a date or a time to a person: 24-hour clock, the zone named, the day
# before the month. Machine formats (ISO in datetime attributes, file names, CSV) are not these.
TIME = "H:i T"  # 14:05 CST
DATETIME = "D j M H:i T"  # Wed 2 Dec 14:05 CST; the year joins when it is not this year's
DATE = "j M Y"  # 2 Dec 2026
MONTH = "F Y"  # December 2026


def _with_seconds(fmt: str, seconds: bool) -> str:
    return fmt.replace("H:i", "H:i:s") if seconds else fmt


def shown_time(moment: datetime, *, seconds: bool = False) -> str:
    """A moment's clock time in its own zone, named: "14:05 CST" (or "14:05:09 CST")."""
    return date_format(moment, _with_seconds(TIME, seconds))


def shown_datetime(moment: datetime, *, seconds: bool = False) -> str:
    """A moment in its own zone: "Wed 2 Dec 14:05 CST", with the year when it is not this year's."""
    this_year = timezone.now().astimezone(moment.tzinfo).year if timezone.is_aware(moment) else moment.year
    fmt = DATETIME if moment.year == this_year else DATETIME.replace("M", "M Y")
    return date_format(moment, _with_seconds(fmt, seconds))


def shown_date(day: date, *, weekday: bool = False) -> str:
    """A calendar day: "2 Dec 2026" (or "Wed 2 Dec 2026")."""
    return date_format(day, f"D {DATE}" if weekday else DATE)


def shown_month(day: date) -> str:
    """A month: "December 2026"."""
    return date_format(day, MONTH)
