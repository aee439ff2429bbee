"""The analytics' reads: counts of the incidents analytics policy lets the user count.

Every incident is placed in the calendar of its own site (its zone, its daylight-saving rules): a
theft at 23:30 on a Sunday in Detroit is a Sunday-23:00 theft there, whatever the viewer's zone.
Only counts leave this module, never a name: a liaison's figures are made of what was escalated
to their agency and nothing else.
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Sum, Value, When

from accounts.models import Site
from accounts.policy import AnyUser
from analytics import counts, hotspots, policy
from analytics.models import CountedIncident, IncidentCount
from incidents.models import Category, Severity
from portal import zones

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS_SHOWN = 12
WEEKS_SHOWN = 12


@dataclass(frozen=True)
class Bucket:
    """One period's count beside the period before it and the same period a year earlier."""

    label: str
    start: date
    count: int
    previous: int
    last_year: int


@dataclass(frozen=True)
class Share:
    """A group's count in the window and in the window before it."""

    label: str
    count: int
    previous: int

    @property
    def change(self) -> int:
        return self.count - self.previous


@dataclass
class Trends:
    today: date
    months: list[Bucket] = field(default_factory=list)
    weeks: list[Bucket] = field(default_factory=list)
    by_site: list[Share] = field(default_factory=list)
    by_category: list[Share] = field(default_factory=list)
    by_severity: list[Share] = field(default_factory=list)
    # [weekday][hour] in each incident's site's zone, over the months shown.
    matrix: list[list[int]] = field(default_factory=lambda: [[0] * 24 for _ in WEEKDAYS])
    total: int = 0
    previous_total: int = 0


def _month_start(day: date, back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def _shares(current: Counter[str], previous: Counter[str], order: list[str] | None = None) -> list[Share]:
    labels = (
        order if order is not None else sorted(set(current) | set(previous), key=lambda k: (-current[k], k))
    )
    return [Share(label, current[label], previous[label]) for label in labels]


def get_trends(*, for_user: AnyUser, today: date) -> Trends:
    """Incidents per month and week (with the period before and the same period a year earlier),
    per site, category and severity, and the weekday-by-hour matrix, for the 12 months to ``today``.

    ``today`` is the viewer's calendar day; each incident is counted on its own site's day. A
    provider's people and platform admins read the rollup once it is built (the same figures, from
    a few thousand rows instead of every incident); an agency's people, the incidents shared."""
    providers = policy.counted_providers(for_user)
    if providers is not None and counts.is_built():
        return trends_from_counts(providers=providers, today=today)
    return trends_from_incidents(for_user=for_user, today=today)


def trends_from_incidents(*, for_user: AnyUser, today: date) -> Trends:
    """The trends counted from the incidents themselves (the plain aggregate)."""
    first_month = _month_start(today, MONTHS_SHOWN - 1)
    # The earliest day any figure compares with: the same months a year earlier.
    earliest = _month_start(today, 2 * MONTHS_SHOWN - 1) - timedelta(days=1)
    rows = (
        policy.counted_incidents(for_user)
        .filter(occurred_at__gte=datetime.combine(earliest, datetime.min.time(), tzinfo=zones.zone("UTC")))
        .values_list("occurred_at", "site__name", "site__time_zone", "category__name", "severity")
    )
    months: Counter[date] = Counter()
    weeks: Counter[date] = Counter()
    groups = {key: (Counter[str](), Counter[str]()) for key in ("site", "category", "severity")}
    trends = Trends(today=today)
    zone_cache: dict[str, object] = {}
    for occurred_at, site_name, zone_name, category_name, severity in rows.iterator(chunk_size=2000):
        in_zone = zone_cache.setdefault(zone_name, zones.zone(zone_name))
        local = occurred_at.astimezone(in_zone)  # type: ignore[arg-type]
        day = local.date()
        if day > today:
            continue
        months[day.replace(day=1)] += 1
        weeks[day - timedelta(days=day.weekday())] += 1
        if day >= first_month:
            window = 0
            trends.total += 1
            trends.matrix[local.weekday()][local.hour] += 1
        elif day >= _month_start(today, 2 * MONTHS_SHOWN - 1):
            window = 1
            trends.previous_total += 1
        else:
            continue
        groups["site"][window][site_name] += 1
        groups["category"][window][category_name or "Uncategorized"] += 1
        groups["severity"][window][Severity(severity).label if severity else "Not set"] += 1
    _finish(trends, months, weeks, groups)
    return trends


def _finish(
    trends: Trends,
    months: Counter[date],
    weeks: Counter[date],
    groups: dict[str, tuple[Counter[str], Counter[str]]],
) -> None:
    """The periods' buckets and the groups' shares from the counts per day, week and window."""
    today = trends.today
    week_start = today - timedelta(days=today.weekday())
    for back in range(MONTHS_SHOWN - 1, -1, -1):
        start = _month_start(today, back)
        trends.months.append(
            Bucket(
                start.strftime("%b %Y"),
                start,
                months[start],
                months[_month_start(start, 1)],
                months[_month_start(start, 12)],
            )
        )
    for back in range(WEEKS_SHOWN - 1, -1, -1):
        start = week_start - timedelta(weeks=back)
        last_year = start - timedelta(weeks=52)  # the same ISO week a year earlier, Monday to Monday
        trends.weeks.append(
            Bucket(
                f"Week of {start.day} {start.strftime('%b')}",
                start,
                weeks[start],
                weeks[start - timedelta(weeks=1)],
                weeks[last_year],
            )
        )
    trends.by_site = _shares(*groups["site"])
    trends.by_category = _shares(*groups["category"])
    severities = [label for _, label in Severity.choices] + ["Not set"]
    current, previous = groups["severity"]
    trends.by_severity = [s for s in _shares(current, previous, severities) if s.count or s.previous]


def trends_from_counts(*, providers: list[int], today: date) -> Trends:
    """The trends read from the rollup (analytics/counts.py) for these providers ([]: every one).

    Whole months before ``today``'s are read from the months' rows, ``today``'s month from its
    days' rows up to ``today`` (a site east of the viewer may already be in tomorrow), and the
    months and weeks from the daily totals: the same figures as ``trends_from_incidents``."""
    first_month = _month_start(today, MONTHS_SHOWN - 1)
    oldest = _month_start(today, 2 * MONTHS_SHOWN - 1)
    this_month = today.replace(day=1)
    rows = IncidentCount.objects.all()
    if providers:
        rows = rows.filter(provider_id__in=providers)
    Dim, Day, Month = IncidentCount.Dimension, IncidentCount.Period.DAY, IncidentCount.Period.MONTH
    months: Counter[date] = Counter()
    weeks: Counter[date] = Counter()
    trends = Trends(today=today)
    totals = (
        rows.filter(period=Day, dimension=Dim.TOTAL, start__gte=oldest, start__lte=today)
        .values("start")
        .annotate(n=Sum("count"))
        .values_list("start", "n")
    )
    for day, n in totals:
        months[day.replace(day=1)] += n
        weeks[day - timedelta(days=day.weekday())] += n
        if day >= first_month:
            trends.total += n
        else:
            trends.previous_total += n
    grouped = (
        rows.filter(dimension__in=[Dim.SITE, Dim.CATEGORY, Dim.SEVERITY, Dim.HOUR])
        .filter(
            Q(period=Month, start__gte=oldest, start__lt=this_month)
            | Q(period=Day, start__gte=this_month, start__lte=today)
        )
        .annotate(
            window=Case(
                When(start__gte=first_month, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .values("dimension", "key", "window")
        .annotate(n=Sum("count"))
        .values_list("dimension", "key", "window", "n")
    )
    found: list[tuple[str, int, int, int]] = list(grouped)
    sites = dict(
        Site.objects.filter(pk__in={k for d, k, _, _ in found if d == Dim.SITE}).values_list("pk", "name")
    )
    categories = dict(
        Category.objects.filter(pk__in={k for d, k, _, _ in found if d == Dim.CATEGORY}).values_list(
            "pk", "name"
        )
    )
    groups = {key: (Counter[str](), Counter[str]()) for key in ("site", "category", "severity")}
    for dimension, key, window, n in found:
        if dimension == Dim.HOUR:
            if window == 0:
                trends.matrix[key // 24][key % 24] += n
        elif dimension == Dim.SITE:
            groups["site"][window][sites[key]] += n
        elif dimension == Dim.CATEGORY:
            groups["category"][window][categories.get(key) or "Uncategorized"] += n
        else:
            groups["severity"][window][Severity(key).label if key else "Not set"] += n
    _finish(trends, months, weeks, groups)
    return trends


@dataclass
class Hotspots:
    today: date
    by_site: list[hotspots.Rise] = field(default_factory=list)
    by_area: list[hotspots.Rise] = field(default_factory=list)

    @property
    def rising(self) -> list[hotspots.Rise]:
        return [r for r in self.by_site + self.by_area if r.rising]


def _counted(providers: list[int]) -> QuerySet[CountedIncident]:
    rows = CountedIncident.objects.all()
    return rows.filter(provider_id__in=providers) if providers else rows


def _place_windows(*, for_user: AnyUser, today: date) -> Counter[tuple[int, str, str, int]]:
    """Incidents per (site id, site name, place on the site, window): window 0 the latest 28 days
    to ``today`` (the site's days), 1 the 28 before, … to the 14th. From the rollup's rows when it
    answers for the user (a GROUP BY), else from the incidents."""
    windows = hotspots.HISTORY_WINDOWS + 1
    tallies: Counter[tuple[int, str, str, int]] = Counter()
    providers = policy.counted_providers(for_user)
    if providers is not None and counts.is_built():
        days = hotspots.WINDOW_DAYS
        window = Case(
            *(
                When(day__gte=today - timedelta(days=days * (w + 1) - 1), then=Value(w))
                for w in range(windows)
            ),
            output_field=IntegerField(),
        )
        grouped = (
            _counted(providers)
            .filter(day__gte=today - timedelta(days=days * windows - 1), day__lte=today)
            .annotate(window=window)
            .values("site_id", "site__name", "location", "window")
            .annotate(n=Count("pk"))
            .values_list("site_id", "site__name", "location", "window", "n")
        )
        for site_id, site_name, location, w, n in grouped:
            tallies[(site_id, site_name, location, w)] += n
        return tallies
    earliest = today - timedelta(days=hotspots.WINDOW_DAYS * windows + 1)
    rows = (
        policy.counted_incidents(for_user)
        .filter(occurred_at__gte=datetime.combine(earliest, datetime.min.time(), tzinfo=zones.zone("UTC")))
        .values_list("occurred_at", "site_id", "site__name", "site__time_zone", "location")
    )
    for occurred_at, site_id, site_name, zone_name, location in rows.iterator(chunk_size=2000):
        day = occurred_at.astimezone(zones.zone(zone_name)).date()
        w = (today - day).days // hotspots.WINDOW_DAYS
        if 0 <= w < windows:
            tallies[(site_id, site_name, location.strip(), w)] += 1
    return tallies


def get_hotspots(*, for_user: AnyUser, today: date) -> Hotspots:
    """Each site's and each area's (the report's place on the site) count in the latest 28 days to
    ``today`` (the site's days), against its own mean of the 13 windows before, with the Poisson test."""
    windows = hotspots.HISTORY_WINDOWS + 1
    sites: dict[str, list[int]] = {}
    areas: dict[str, list[int]] = {}
    for (_, site_name, location, window), n in _place_windows(for_user=for_user, today=today).items():
        sites.setdefault(site_name, [0] * windows)[window] += n
        if location:
            areas.setdefault(f"{site_name} · {location}", [0] * windows)[window] += n
    result = Hotspots(today=today)
    for target, tallies in ((result.by_site, sites), (result.by_area, areas)):
        target.extend(
            sorted(
                (hotspots.rise_against_history(place, c[1:], c[0]) for place, c in tallies.items()),
                key=lambda r: (r.p_value, -r.observed, r.place),
            )
        )
    return result


def rising_sites(*, for_user: AnyUser, today: date) -> list[tuple[int, hotspots.Rise]]:
    """The sites whose counts rose against their own history (as ``get_hotspots`` tests them), by
    site id and most significant first: what patrols offers to target (settings.PATROL_HOTSPOTS)."""
    windows = hotspots.HISTORY_WINDOWS + 1
    tallies: dict[int, list[int]] = {}
    names: dict[int, str] = {}
    for (site_id, site_name, _, window), n in _place_windows(for_user=for_user, today=today).items():
        tallies.setdefault(site_id, [0] * windows)[window] += n
        names[site_id] = site_name
    rises = [
        (site_id, hotspots.rise_against_history(names[site_id], c[1:], c[0]))
        for site_id, c in tallies.items()
    ]
    return sorted(
        ((site_id, rise) for site_id, rise in rises if rise.rising),
        key=lambda pair: (pair[1].p_value, -pair[1].observed, pair[1].place),
    )


@dataclass(frozen=True)
class Cluster:
    """Incidents whose reported coordinates round to the same cell (0.001°, about 100 m)."""

    latitude: float
    longitude: float
    site: str
    count: int


@dataclass(frozen=True)
class SitePoint:
    name: str
    latitude: float
    longitude: float


def get_hotspot_map(*, for_user: AnyUser, since: datetime) -> tuple[list[Cluster], list[SitePoint]]:
    """The clusters of the counted incidents that carry coordinates, and their sites' own points
    (from the rollup's rows, each with its cell, when it answers for the user)."""
    columns = ("site__name", "site__latitude", "site__longitude")
    rows: Iterable[tuple[Any, ...]]
    providers = policy.counted_providers(for_user)
    if providers is not None and counts.is_built():
        rows = (
            _counted(providers)
            .filter(day__gte=since.date() - timedelta(days=2), occurred_at__gte=since)
            .filter(cell_latitude__isnull=False, cell_longitude__isnull=False)
            .values("cell_latitude", "cell_longitude", *columns)
            .annotate(n=Count("pk"))
            .values_list("cell_latitude", "cell_longitude", *columns, "n")
        )
    else:
        rows = (
            (round(float(lat), 3), round(float(lon), 3), *rest, 1)
            for lat, lon, *rest in policy.counted_incidents(for_user)
            .filter(occurred_at__gte=since, latitude__isnull=False, longitude__isnull=False)
            .values_list("latitude", "longitude", *columns)
            .iterator(chunk_size=2000)
        )
    cells: Counter[tuple[float, float, str]] = Counter()
    sites: dict[str, SitePoint] = {}
    for latitude, longitude, site, site_lat, site_lon, n in rows:
        cells[(latitude, longitude, site)] += n
        if site_lat is not None and site_lon is not None:
            sites.setdefault(site, SitePoint(site, float(site_lat), float(site_lon)))
    clusters = [Cluster(lat, lon, site, count) for (lat, lon, site), count in cells.items()]
    clusters.sort(key=lambda c: (-c.count, c.site, c.latitude, c.longitude))
    return clusters, sorted(sites.values(), key=lambda s: s.name)
