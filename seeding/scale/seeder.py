# ruff: noqa: S311, S608 (sample data, not secrets; SQL assembled from model table names only)
"""The scale incidents, oldest first, with their timelines, parties, vehicles, escalations and board
events, written with COPY as the services would leave them, through the services' own payload,
search text and reference functions."""

import json
import random
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from accounts.models import Site
from analytics import counts as analytics_counts
from analytics.models import CountedIncident, IncidentCount
from dispatch.events import board_payload
from dispatch.models import BoardCursor, BoardEvent, Escalation
from dispatch.services import STEPS
from incidents.models import (
    Category,
    Incident,
    IncidentShare,
    InvolvedParty,
    ReferenceCounter,
    TimelineEntry,
    Vehicle,
)
from incidents.search import SEARCH_INDEX_NAME, SEARCH_INDEX_SQL, search_text
from incidents.services import format_reference
from seeding.scale.tenants import AGENCIES, Tenants, ensure_tenants, scale_incidents
from seeding.scale.text import NOTES, story
from seeding.scale.writer import Ids, Output, Progress, Writer

OPEN_PER_AGENCY = 60  # open escalations on each agency's board: a busy night
YEARS = 3
ESCALATED_SHARE = 0.043  # of all incidents (severity 1-2: 15 %, others 1 %)
CATEGORY_WEIGHTS = {
    "theft": 30, "suspicious-person": 12, "trespass": 9, "alarm": 10, "disturbance": 8,
    "vandalism": 7, "suspicious-vehicle": 5, "burglary": 4, "medical": 4, "hazard": 3,
    "assault": 2, "robbery": 1, "fire": 1, "animal": 1, "lost-found": 2, "other": 1,
}  # fmt: skip
STATUSES = [  # (status, weight)
    (Incident.Status.CLOSED, 70),
    (Incident.Status.ACCEPTED, 15),
    (Incident.Status.SUBMITTED, 10),
    (Incident.Status.NEEDS_INFO, 2),
    (Incident.Status.DRAFT, 3),
]
Kind = TimelineEntry.Kind
Entry = tuple[datetime, int | None, str, dict[str, Any]]
MODELS = (Incident, TimelineEntry, InvolvedParty, Vehicle, IncidentShare, Escalation, BoardEvent)


def seed(*, total: int, out: Output = sys.stderr, batch: int = 0) -> dict[str, int]:
    """Write ``total`` scale incidents (COPY, in one transaction), then rebuild the search index
    and refresh the planner's statistics. ``batch`` numbers a top-up (more on top of those there):
    its random rows differ from the first batch's (their public ids above all)."""
    if connection.vendor != "postgresql":
        raise RuntimeError("seed_scale writes with PostgreSQL's COPY: point DATABASE_URL at PostgreSQL")
    started = time.monotonic()
    tenants = ensure_tenants(site_count=max(20, min(400, total // 2500)))
    out.write(
        f"  tenants: {len(tenants.providers)} providers, {len(tenants.agencies)} agencies, "
        f"{len(tenants.sites)} sites ({time.monotonic() - started:.1f} s)\n"
    )
    with connection.cursor() as cursor:
        # GIN is far cheaper built once than updated row by row.
        cursor.execute(f"DROP INDEX IF EXISTS {SEARCH_INDEX_NAME}")
        cursor.execute("SET maintenance_work_mem = '512MB'")
    try:
        with transaction.atomic():
            rng = random.Random(42 + batch)
            counts = Seeder(tenants=tenants, total=total, out=out, rng=rng).run()
    finally:
        step = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute(SEARCH_INDEX_SQL)
        out.write(f"  search index rebuilt ({time.monotonic() - step:.1f} s)\n")
    step = time.monotonic()
    with connection.cursor() as cursor:
        for model in MODELS:
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
    out.write(f"  vacuum analyze ({time.monotonic() - step:.1f} s)\n")
    recount_for_analytics(out)
    return counts


def recount_for_analytics(out: Output = sys.stderr) -> None:
    """COPY bypasses the follow-ups that keep the trends' rollup: count every incident afresh."""
    step = time.monotonic()
    placed = analytics_counts.rebuild()
    with connection.cursor() as cursor:
        for model in (CountedIncident, IncidentCount):
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
    out.write(f"  trends' rollup: {placed:,} incidents counted ({time.monotonic() - step:.1f} s)\n")


def reset(out: Output = sys.stderr) -> int:
    """Delete the scale tenants' incidents and everything that hangs off them; returns how many."""
    incidents = scale_incidents()
    count = incidents.count()
    ids_sql, params = incidents.values("pk").query.sql_with_params()
    escalations_sql = f"SELECT id FROM {Escalation._meta.db_table} WHERE incident_id IN ({ids_sql})"
    with transaction.atomic(), connection.cursor() as cursor:
        for parent, parent_sql in ((Escalation, escalations_sql), (Incident, ids_sql)):
            for relation in parent._meta.related_objects:
                model = relation.related_model
                if relation.many_to_many or model in (parent, Escalation) or not isinstance(model, type):
                    continue
                table = model._meta.db_table
                cursor.execute(f"DELETE FROM {table} WHERE {relation.field.column} IN ({parent_sql})", params)
        cursor.execute(f"DELETE FROM {Escalation._meta.db_table} WHERE id IN ({escalations_sql})", params)
        cursor.execute(f"DELETE FROM {Incident._meta.db_table} WHERE id IN ({ids_sql})", params)
    out.write(f"  removed {count:,} scale incidents\n")
    recount_for_analytics(out)
    return count


def _weighted(rng: random.Random, choices: Sequence[Any], weights: Sequence[float]) -> Callable[[], Any]:
    cumulative: list[float] = []
    total = 0.0
    for weight in weights:
        total += weight
        cumulative.append(total)
    return lambda: rng.choices(choices, cum_weights=cumulative)[0]


def _unsaved_incident(row: dict[str, Any], site: Site, category: Category) -> Incident:
    """An incident row as a model instance for the product's payload functions (its site and
    category given, so reading them queries nothing)."""
    incident = Incident(**row)
    incident.site, incident.category = site, category
    return incident


@dataclass
class Seeder:
    """Writes ``total`` incidents for the tenants, oldest first, with everything that hangs off them."""

    tenants: Tenants
    total: int
    out: Output = sys.stderr
    rng: random.Random = field(default_factory=lambda: random.Random(42))

    def run(self) -> dict[str, int]:
        categories = {c.code: c for c in Category.objects.all()}
        codes = [code for code in CATEGORY_WEIGHTS if code in categories]
        pick_category = _weighted(self.rng, codes, [CATEGORY_WEIGHTS[c] for c in codes])
        pick_status = _weighted(self.rng, [s for s, _ in STATUSES], [w for _, w in STATUSES])
        site_weights = [self.rng.uniform(0.3, 2.0) for _ in self.tenants.sites]
        pick_site = _weighted(self.rng, self.tenants.sites, site_weights)
        writers: dict[type[Model], Writer] = {model: Writer(model) for model in MODELS}
        ids: dict[type[Model], Ids] = {model: Ids(model) for model in writers}
        sequences = {
            agency.pk: BoardCursor.objects.filter(agency=agency).values_list("last", flat=True).first() or 0
            for agency in self.tenants.agencies
        }
        counters: dict[int, int] = {}
        for year, last in ReferenceCounter.objects.values_list("year", "last"):
            counters[year] = last
        now = timezone.now()
        start = now - timedelta(days=365 * YEARS)
        span = (now - timedelta(hours=1) - start).total_seconds()
        # About OPEN_PER_AGENCY escalations of the most recent incidents are still open.
        escalations_per_second = self.total * ESCALATED_SHARE / span
        recent_open = timedelta(seconds=OPEN_PER_AGENCY * AGENCIES / escalations_per_second)
        progress = Progress("incidents", self.total, self.out)
        for n in range(self.total):
            received = start + timedelta(seconds=span * (n + self.rng.random()) / self.total)
            site = pick_site()
            category = categories[pick_category()]
            status = pick_status()
            severity = category.default_severity if self.rng.random() < 0.8 else self.rng.randint(1, 4)
            escalate = bool(
                status != Incident.Status.DRAFT
                and site.agency_id
                and (self.rng.random() < 0.15 if severity <= 2 else self.rng.random() < 0.01)
            )
            if escalate and now - received < recent_open and status == Incident.Status.CLOSED:
                status = Incident.Status.ACCEPTED  # its escalation is still open
            year = received.year
            counters[year] = counters.get(year, 0) + 1
            reference = format_reference(year, counters[year])
            facts = story(self.rng, category.code, site)
            reporter = self.rng.choice(self.tenants.guards[site.pk])
            supervisor = self.rng.choice(self.tenants.supervisors[site.provider_id])
            incident_id = ids[Incident].take()
            submitted = None if status == Incident.Status.DRAFT else received
            closed = None
            if status == Incident.Status.CLOSED:
                closed = received + timedelta(hours=self.rng.uniform(1, 72))
            offset = Decimal(self.rng.randint(-900, 900)) / Decimal(1_000_000)
            incident = {
                "id": incident_id,
                "public_id": uuid.UUID(int=self.rng.getrandbits(128), version=4),
                "reference": reference,
                "site_id": site.pk,
                "provider_id": site.provider_id,
                "reporter_id": reporter,
                "category_id": category.pk,
                "severity": severity,
                "status": status,
                "occurred_at": received - timedelta(minutes=self.rng.randint(1, 90)),
                "device_time": received - timedelta(seconds=self.rng.randint(0, 20)),
                "received_at": received,
                "submitted_at": submitted,
                "closed_at": closed,
                "location": facts.location,
                "latitude": (site.latitude or Decimal(0)) + offset,
                "longitude": (site.longitude or Decimal(0)) - offset,
                "location_accuracy_m": self.rng.choice((None, 5, 10, 25, 65)),
                "narrative": facts.narrative,
                "resolution": "Resolved on site." if closed else "",
                "idempotency_key": uuid.UUID(int=self.rng.getrandbits(128), version=4),
                "exercise": False,
                "legal_hold_at": None,
                "legal_hold_by_id": None,
                "legal_hold_reason": "",
                "version": 1,
                "search_document": search_text(
                    reference=reference,
                    location=facts.location,
                    narrative=facts.narrative,
                    parties=facts.parties,
                    vehicles=facts.vehicles,
                ),
                "search_vector": None,  # the trigger fills it from search_document, on COPY too
                "created_at": received,
                "updated_at": closed or received,
            }
            timeline: list[Entry] = [(received, reporter, Kind.CREATED, {"reference": reference})]
            for party in facts.parties:
                writers[InvolvedParty].add(
                    id=ids[InvolvedParty].take(),
                    incident_id=incident_id,
                    created_at=received,
                    **asdict(party),
                )
            for vehicle in facts.vehicles:
                writers[Vehicle].add(
                    id=ids[Vehicle].take(), incident_id=incident_id, created_at=received, **asdict(vehicle)
                )
            if submitted:
                timeline.append((received, reporter, Kind.SUBMITTED, {}))
            if status in (Incident.Status.ACCEPTED, Incident.Status.CLOSED):
                at = received + timedelta(minutes=self.rng.randint(2, 30))
                timeline.append(
                    (at, supervisor, Kind.STATUS_CHANGED, {"old": "submitted", "new": "accepted"})
                )
                incident["version"] += 1
            for _ in range(self.rng.choice((0, 0, 0, 1, 1, 2, 3))):
                at = received + timedelta(minutes=self.rng.randint(5, 600))
                timeline.append((at, supervisor, Kind.NOTE_ADDED, {"text": self.rng.choice(NOTES)}))
            if escalate:
                timeline += self._escalation(
                    writers,
                    ids,
                    sequences,
                    incident,
                    site=site,
                    category=category,
                    supervisor=supervisor,
                    now=now,
                    is_open=now - received < recent_open,
                )
            if closed:
                data = {"old": "accepted", "new": "closed", "resolution": "Resolved on site."}
                timeline.append((closed, supervisor, Kind.STATUS_CHANGED, data))
                incident["version"] += 1
            writers[Incident].add(**incident)
            for at, actor, kind, data in sorted(timeline, key=lambda entry: entry[0]):
                writers[TimelineEntry].add(
                    id=ids[TimelineEntry].take(),
                    incident_id=incident_id,
                    at=at,
                    actor_id=actor,
                    kind=kind,
                    data=json.dumps(data),
                    internal=False,
                )
            if (n + 1) % 5_000 == 0 or n + 1 == self.total:
                progress.advance((n + 1) - progress.done)
        # Django's foreign keys are deferred on PostgreSQL: checked at commit, whatever the order.
        for writer in writers.values():
            writer.flush()
        progress.close()
        for counter in ids.values():
            counter.sync_sequence()
        for year, last in counters.items():
            ReferenceCounter.objects.update_or_create(year=year, defaults={"last": last})
        for agency_id, last in sequences.items():
            BoardCursor.objects.update_or_create(agency_id=agency_id, defaults={"last": last})
        return {model._meta.label: writer.count for model, writer in writers.items()}

    def _escalation(
        self,
        writers: dict[type[Model], Writer],
        ids: dict[type[Model], Ids],
        sequences: dict[int, int],
        incident: dict[str, Any],
        *,
        site: Site,
        category: Category,
        supervisor: int,
        now: datetime,
        is_open: bool,
    ) -> list[Entry]:
        assert site.agency_id is not None
        agency_id = site.agency_id
        liaison = self.rng.choice(self.tenants.liaisons[agency_id])
        requested = incident["received_at"] + timedelta(minutes=self.rng.randint(1, 20))
        steps = [("accept", 4), ("dispatch", 10), ("on_scene", 12), ("clear", 60)]
        if is_open:
            steps = steps[: self.rng.randint(0, 3)]
        elif self.rng.random() < 0.1:
            steps = [("cancel", 15)]
        escalation = Escalation(
            id=ids[Escalation].take(),
            public_id=uuid.UUID(int=self.rng.getrandbits(128), version=4),
            incident=_unsaved_incident(incident, site, category),
            agency_id=agency_id,
            provider_id=site.provider_id,
            source=Escalation.Source.SUPERVISOR,
            reason="Needs police attendance.",
            requested_by_id=supervisor,
            requested_at=requested,
        )
        reference = {"escalation": str(escalation.public_id), "agency": self.tenants.agency_names[agency_id]}
        data = {**reference, "source": escalation.source, "reason": escalation.reason}
        entries: list[Entry] = [(requested, supervisor, Kind.ESCALATED, data)]
        events = [("escalation.requested", board_payload(escalation), requested)]
        at = requested
        for action, minutes in steps:
            at = at + timedelta(minutes=self.rng.uniform(0.5, minutes))
            if at > now:
                break
            step = STEPS[action]
            old = escalation.status
            escalation.status = step.target
            setattr(escalation, step.stamp, at)
            escalation.version += 1
            if action == "accept":
                escalation.accepted_by_id = liaison
            elif action == "cancel":
                escalation.cancel_reason = "Resolved before police arrived."
            elif action == "clear":
                escalation.disposition = "Words of advice given."
                escalation.case_number = f"CAD-{self.rng.randint(100000, 999999)}"
            actor = supervisor if action == "cancel" else liaison
            data = {**reference, "old": old, "new": step.target}
            entries.append((at, actor, Kind.ESCALATION_UPDATED, data))
        if escalation.status != Escalation.Status.REQUESTED:
            # The board's log keeps the request and the latest state (steps between are not needed here).
            events.append((f"escalation.{escalation.status}", board_payload(escalation), at))
        # As dispatch's escalation does: the incident is shared with the agency in the same write.
        writers[IncidentShare].add(
            id=ids[IncidentShare].take(),
            incident_id=incident["id"],
            agency_id=agency_id,
            created_at=requested,
            scope=IncidentShare.SCOPE,
            reason="Escalated by the scale seeder.",
            until=None,
            ended_at=None,
            ended_by_id=None,
            end_reason="",
        )
        writers[Escalation].add_object(escalation)
        for name, payload, created in events:
            sequences[agency_id] += 1
            writers[BoardEvent].add(
                id=ids[BoardEvent].take(),
                agency_id=agency_id,
                sequence=sequences[agency_id],
                name=name,
                escalation_id=escalation.pk,
                payload=json.dumps(payload),
                created_at=created,
            )
        return entries
