"""The trends' rollup, written: which bucket each counted incident falls in (CountedIncident) and
the counts per provider and day or month of the sites' calendars (IncidentCount).

An incident's bucket is recounted from CountedIncident whenever it may have changed: after a report
is sent, edited, moved or changes status (the follow-up task of those events), by the periodic sweep
of recent reports (a follow-up lost with the broker), and from scratch by
`manage.py rebuild_incident_counts` (existing rows, a bulk load). Recounting a bucket from its rows,
instead of adding one, makes every path idempotent: a task run twice counts nothing twice.
"""

from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from analytics.models import CountedIncident, CountsBuilt, IncidentCount
from incidents.models import Incident
from portal import zones

Day, Month = IncidentCount.Period.DAY, IncidentCount.Period.MONTH
Dim = IncidentCount.Dimension
BATCH = 5000
# What the periodic sweep places again: reports received in this past stretch.
RECENT = timedelta(hours=2)
# The advisory lock class of a provider's recount (PostgreSQL): recounts of one provider never
# interleave; another provider's go on.
LOCK_CLASS = 19_0001
# Columns of CountedIncident per dimension (the total counts every row once).
DIMENSIONS = {
    Dim.SITE: "site_id",
    Dim.CATEGORY: "category_id",
    Dim.SEVERITY: "severity",
    Dim.HOUR: "hour_of_week",
}


def is_built() -> bool:
    return CountsBuilt.objects.exists()


def _month_after(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1)


def counted_rows(incidents: QuerySet[Incident]) -> Iterator[CountedIncident]:
    """The CountedIncident of each counted incident among ``incidents`` (sent, not a drill), placed
    on its site's calendar as the trends place it."""
    counted = incidents.exclude(status=Incident.Status.DRAFT).exclude(exercise=Incident.Exercise.EXERCISE)
    rows = counted.values_list(
        "pk", "provider_id", "site_id", "site__time_zone", "occurred_at", "category_id", "severity",
        "location", "latitude", "longitude",
    )  # fmt: skip
    in_zone: dict[str, Any] = {}
    for (
        pk, provider_id, site_id, zone_name, occurred_at, category_id, severity, location, latitude, longitude
    ) in rows.iterator(chunk_size=BATCH):  # fmt: skip
        local = occurred_at.astimezone(in_zone.setdefault(zone_name, zones.zone(zone_name)))
        yield CountedIncident(
            incident_id=pk,
            provider_id=provider_id,
            day=local.date(),
            hour_of_week=local.weekday() * 24 + local.hour,
            site_id=site_id,
            category_id=category_id,
            severity=severity or None,
            location=location.strip(),
            occurred_at=occurred_at,
            cell_latitude=_cell(latitude, longitude)[0],
            cell_longitude=_cell(latitude, longitude)[1],
        )


def _cell(latitude: Any, longitude: Any) -> tuple[float | None, float | None]:
    """The map's cell of reported coordinates (as get_hotspot_map rounds them); none without both."""
    if latitude is None or longitude is None:
        return None, None
    return round(float(latitude), 3), round(float(longitude), 3)


def _lock(provider_id: int) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_CLASS, provider_id])


def _recount_day(provider_id: int, day: date) -> None:
    rows = CountedIncident.objects.filter(provider_id=provider_id, day=day)
    tallies: Counter[tuple[str, int]] = Counter()
    for values in rows.values_list(*DIMENSIONS.values()):
        tallies[(Dim.TOTAL, 0)] += 1
        for dimension, value in zip(DIMENSIONS, values, strict=True):
            tallies[(dimension, value or 0)] += 1
    _replace(provider_id, Day, day, tallies)


def _recount_month(provider_id: int, first: date) -> None:
    days = IncidentCount.objects.filter(
        provider_id=provider_id, period=Day, start__gte=first, start__lt=_month_after(first)
    )
    tallies = Counter(
        {
            (d, k): n
            for d, k, n in days.values("dimension", "key")
            .annotate(n=Sum("count"))
            .values_list("dimension", "key", "n")
        }
    )
    _replace(provider_id, Month, first, tallies)


def _replace(provider_id: int, period: str, start: date, tallies: Counter[tuple[str, int]]) -> None:
    IncidentCount.objects.filter(provider_id=provider_id, period=period, start=start).delete()
    IncidentCount.objects.bulk_create(
        IncidentCount(provider_id=provider_id, period=period, start=start, dimension=d, key=k, count=n)
        for (d, k), n in tallies.items()
        if n
    )


def recount(buckets: Iterable[tuple[int, date]]) -> None:
    """Recount these (provider, day) buckets and their months from CountedIncident."""
    by_provider: dict[int, set[date]] = {}
    for provider_id, day in buckets:
        by_provider.setdefault(provider_id, set()).add(day)
    for provider_id, days in sorted(by_provider.items()):
        with transaction.atomic():
            _lock(provider_id)
            for day in sorted(days):
                _recount_day(provider_id, day)
            for first in sorted({day.replace(day=1) for day in days}):
                _recount_month(provider_id, first)


def count_incidents(*, incident_ids: Iterable[int], recount_all: bool = False) -> int:
    """Place these incidents in the rollup as they are now (or take them out: a draft, a drill,
    gone), recounting the buckets they left and joined (``recount_all``: every bucket they are in,
    moved or not). Nothing before the rollup is built."""
    ids = sorted(set(incident_ids))
    if not ids or not is_built():
        return 0
    changed: set[tuple[int, date]] = set()
    with transaction.atomic():
        before = {
            c.incident_id: c for c in CountedIncident.objects.select_for_update().filter(incident_id__in=ids)
        }
        after = {c.incident_id: c for c in counted_rows(Incident.objects.filter(pk__in=ids))}
        for incident_id in ids:
            old, new = before.get(incident_id), after.get(incident_id)
            if old is not None and new is not None and _same(old, new):
                if recount_all:
                    changed.add((new.provider_id, new.day))
                continue
            if old is not None:
                changed.add((old.provider_id, old.day))
                old.delete()
            if new is not None:
                changed.add((new.provider_id, new.day))
                new.save(force_insert=True)
        recount(changed)
    return len(changed)


def _same(old: CountedIncident, new: CountedIncident) -> bool:
    fields = (
        "provider_id", "day", "hour_of_week", "site_id", "category_id", "severity", "location", "occurred_at",
        "cell_latitude", "cell_longitude",
    )  # fmt: skip
    return all(getattr(old, f) == getattr(new, f) for f in fields)


def count_recent(*, since: datetime) -> int:
    """Place again every incident received since ``since`` and recount their buckets (the sweep
    behind the follow-ups: one lost, or one that ran beside a rebuild that could not see its report)."""
    ids = Incident.objects.filter(received_at__gte=since).values_list("pk", flat=True)
    return count_incidents(incident_ids=list(ids), recount_all=True)


@transaction.atomic
def rebuild() -> int:
    """Count every incident afresh (existing data, a bulk load): the rollup is then built."""
    CountsBuilt.objects.all().delete()
    CountedIncident.objects.all().delete()
    IncidentCount.objects.all().delete()
    placed = 0
    batch: list[CountedIncident] = []
    for row in counted_rows(Incident.objects.order_by()):
        batch.append(row)
        if len(batch) >= BATCH:
            placed += len(CountedIncident.objects.bulk_create(batch))
            batch = []
    placed += len(CountedIncident.objects.bulk_create(batch))
    days: list[IncidentCount] = []
    rows = CountedIncident.objects.order_by()
    for provider_id, day, n in (
        rows.values("provider_id", "day")
        .annotate(n=Count("pk"))
        .values_list("provider_id", "day", "n")
        .iterator(chunk_size=BATCH)
    ):
        days.append(
            IncidentCount(provider_id=provider_id, period=Day, start=day, dimension=Dim.TOTAL, key=0, count=n)
        )
    for dimension, column in DIMENSIONS.items():
        grouped = rows.values("provider_id", "day", column).annotate(n=Count("pk"))
        for provider_id, day, value, n in grouped.values_list("provider_id", "day", column, "n").iterator(
            chunk_size=BATCH
        ):
            days.append(
                IncidentCount(
                    provider_id=provider_id,
                    period=Day,
                    start=day,
                    dimension=dimension,
                    key=value or 0,
                    count=n,
                )
            )
        IncidentCount.objects.bulk_create(days, batch_size=BATCH)
        days = []
    IncidentCount.objects.bulk_create(days, batch_size=BATCH)
    months: Counter[tuple[int, date, str, int]] = Counter()
    for provider_id, start, name, key, n in (
        IncidentCount.objects.filter(period=Day)
        .values_list("provider_id", "start", "dimension", "key", "count")
        .iterator(chunk_size=BATCH)
    ):
        months[(provider_id, start.replace(day=1), name, key)] += n
    IncidentCount.objects.bulk_create(
        (
            IncidentCount(provider_id=p, period=Month, start=s, dimension=d, key=k, count=n)
            for (p, s, d, k), n in months.items()
        ),
        batch_size=BATCH,
    )
    CountsBuilt.objects.create(built_at=timezone.now(), incidents=placed)
    return placed
