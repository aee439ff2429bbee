# ruff: noqa: S311, S608 (sample data, not secrets; SQL assembled from model table names only)
"""Scale data for `manage.py seed_scale` (the benchmarks): many realistic incidents with their
timelines, parties, vehicles, escalations and board events, written with PostgreSQL's COPY.

The tenants are their own ("Scale Provider 1", "Scale Agency 1", …): organizations, sites and
people are created once and reused; ``reset`` removes only their incidents and what hangs off them.
Rows are written as the services would leave them (search document, references, versions,
sequences), but without audit records: this is bulk history, not activity.
"""

import importlib
import json
import random
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Max, Model
from django.utils import timezone

from accounts.models import Membership, Organization, Partnership, Role, Site, SiteAssignment, User
from dispatch.models import BoardCursor, BoardEvent, Escalation
from incidents.models import Category, Incident, InvolvedParty, ReferenceCounter, TimelineEntry, Vehicle

PREFIX = "Scale"
PROVIDERS = 12
AGENCIES = 4
GUARDS_PER_SITE = 4
SUPERVISORS_PER_PROVIDER = 3
LIAISONS_PER_AGENCY = 10
OPEN_PER_AGENCY = 60  # open escalations on each agency's board: a busy night
YEARS = 3
BATCH = 20_000
ESCALATED_SHARE = 0.043  # of all incidents (severity 1-2: 15 %, others 1 %)

SEARCH_INDEX = importlib.import_module("incidents.migrations.0002_categories_and_search_index").SEARCH_INDEX

# --- Realistic text -----------------------------------------------------------------------------

PLACES = [
    "loading bay 2", "north car park", "main entrance", "staff entrance", "level 1 food court",
    "service corridor B", "roof plant room", "underground car park, level -2", "fire exit 4",
    "reception", "warehouse aisle 12", "goods-in yard", "cash office", "east stairwell",
    "multi-storey car park, level 3", "bus stop outside the south doors", "toilets by the cinema",
    "perimeter fence, west side", "security control room", "delivery gate 3",
]  # fmt: skip
SUBJECTS = [
    "a man in a red jacket", "two teenagers", "a woman with a pushchair", "a group of four men",
    "a delivery driver", "a cyclist", "an elderly man", "a man in a grey hoodie", "a contractor",
    "a member of staff", "a customer", "a person with a large rucksack", "two men in hi-vis vests",
    "a woman in a black coat", "a young man on an e-scooter",
]  # fmt: skip
ACTIONS = {
    "burglary": ["forcing the shutter of", "climbing through a broken window at", "prising open the door at"],
    "theft": ["leaving without paying with goods from", "taking a handbag from a table in",
              "removing copper cable from", "putting perfume into a foil-lined bag in"],
    "robbery": ["threatening a cashier with a knife in", "snatching a phone from a customer in"],
    "trespass": ["climbing the fence at", "sleeping in", "refusing to leave"],
    "assault": ["punching a customer in", "pushing a guard to the floor in", "fighting in"],
    "suspicious-person": ["photographing the cameras in", "trying door handles in", "loitering in"],
    "suspicious-vehicle": ["parking with the engine running in", "circling slowly through"],
    "vandalism": ["spraying graffiti in", "smashing a glass panel in", "damaging a barrier at"],
    "fire": ["reporting smoke from a bin in", "seeing flames from a vehicle in"],
    "medical": ["collapsing in", "falling down the escalator near", "having a seizure in"],
    "alarm": ["setting off the intruder alarm in", "triggering the fire alarm in"],
    "panic": ["pressing the panic button in"],
    "disturbance": ["shouting at staff in", "arguing loudly in", "throwing chairs in"],
    "hazard": ["reporting an oil spill in", "reporting a gas smell in", "finding a loose ceiling tile in"],
    "animal": ["seeing a stray dog in", "finding an injured fox in"],
    "lost-found": ["handing in a wallet found in", "reporting a lost child in"],
    "other": ["asking for help in", "reporting a broken light in"],
}  # fmt: skip
DETAILS = [
    "CCTV footage kept.", "Police informed.", "Area cordoned off.", "First aid given.",
    "Subject left towards the bus station.", "Door secured afterwards.", "Witness details taken.",
    "Manager informed.", "Fire brigade attended.", "Ambulance called.",
    "Subject detained until police arrived.",
    "No injuries.", "Damage photographed.", "Keyholder called out.", "Patrol increased for the night.",
    "Forklift moved to block the gap.", "Description passed to neighbouring sites.",
]  # fmt: skip
SURNAMES = [
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Robinson",
    "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson",
    "Clarke", "Khan", "Hughes", "Edwards", "Lewis", "Harris", "Martin", "Cooper", "Kowalski", "Okafor",
    "Nguyen", "Murphy", "O'Brien", "Fernandes", "Ahmed", "Novak", "Rossi", "Schmidt", "Byrne", "Singh",
]  # fmt: skip
FIRST_NAMES = [
    "James", "Olivia", "Mohammed", "Amelia", "Noah", "Isla", "Jack", "Ava", "Leo", "Mia", "Oscar",
    "Grace", "Harry", "Sophia", "Arthur", "Lily", "George", "Freya", "Theo", "Zara",
]  # fmt: skip
VEHICLES = [
    "white Ford Transit van", "silver Vauxhall Astra", "black BMW 3 series", "blue Toyota Prius",
    "red Honda Civic", "grey Mercedes Sprinter", "green Land Rover Defender", "moped, no plate visible",
]  # fmt: skip
NOTES = [
    "Reviewed CCTV: subject visible at 14:02 at the entrance.", "Store manager has the receipt.",
    "Spoke to the witness again by phone.", "Insurance company informed.", "Keys handed to the night team.",
    "Photos of the damage uploaded.", "Subject recognised from a previous banning notice.",
]  # fmt: skip
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
KINDS_OF_SITE = ["Retail Park", "Shopping Centre", "Depot", "Tower", "Campus", "Hospital", "Station"]
ZONES = ["Europe/London", "Europe/Dublin", "Europe/Paris", "Europe/Berlin"]
Kind = TimelineEntry.Kind
Entry = tuple[datetime, int | None, str, dict[str, Any]]


class Output(Protocol):
    """Where progress goes: a text stream, or a management command's stderr."""

    def write(self, text: str, /) -> object: ...

    def flush(self) -> object: ...

    def isatty(self) -> bool: ...


# --- Progress -----------------------------------------------------------------------------------


class Progress:
    """A one-line progress bar on a terminal; a line every 10 % otherwise (logs, make)."""

    def __init__(self, label: str, total: int, out: Output = sys.stderr) -> None:
        self.label, self.total, self.out = label, max(total, 1), out
        self.done = 0
        self.started = time.monotonic()
        self.shown = -1.0
        self.tty = out.isatty()

    def advance(self, count: int) -> None:
        self.done += count
        share = self.done / self.total
        if self.tty and (time.monotonic() - self.shown > 0.2 or self.done >= self.total):
            bar = "#" * int(share * 30)
            self.out.write(f"\r  {self.label:<16} [{bar:<30}] {self.done:>10,}/{self.total:,} {self._rate()}")
            self.shown = time.monotonic()
        elif not self.tty and int(share * 10) > int(self.shown):
            self.out.write(f"  {self.label:<16} {self.done:>10,}/{self.total:,} {self._rate()}\n")
            self.shown = int(share * 10)
        self.out.flush()

    def close(self) -> None:
        if self.tty:
            self.out.write("\n")
            self.out.flush()

    def _rate(self) -> str:
        elapsed = time.monotonic() - self.started
        return f"{elapsed:6.1f} s ({self.done / elapsed if elapsed else 0:,.0f}/s)"


# --- Tenants ------------------------------------------------------------------------------------


@dataclass
class Tenants:
    agencies: list[Organization] = field(default_factory=list)
    providers: list[Organization] = field(default_factory=list)
    sites: list[Site] = field(default_factory=list)
    guards: dict[int, list[int]] = field(default_factory=dict)  # site id -> guard ids
    supervisors: dict[int, list[int]] = field(default_factory=dict)  # provider id -> ids
    liaisons: dict[int, list[int]] = field(default_factory=dict)  # agency id -> ids
    agency_names: dict[int, str] = field(default_factory=dict)


def _slug(organization: Organization) -> str:
    return organization.name.lower().replace(" ", "-")


def _people(organization: Organization, role: Role, count: int, *, password: str) -> list[User]:
    emails = [f"{role.value}{n}@{_slug(organization)}.example" for n in range(1, count + 1)]
    known = {user.email: user for user in User.objects.filter(email__in=emails)}
    rng = random.Random(organization.name + role.value)
    fresh = [
        User(email=email, full_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}", password=password)
        for email in emails
        if email not in known
    ]
    User.objects.bulk_create(fresh)
    users = list(User.objects.filter(email__in=emails).order_by("pk"))
    members = set(Membership.objects.filter(user__in=users).values_list("user_id", flat=True))
    Membership.objects.bulk_create(
        [
            Membership(user=user, organization=organization, role=role)
            for user in users
            if user.pk not in members
        ]
    )
    return users


def ensure_tenants(site_count: int) -> Tenants:
    """The scale tenants, their sites and people (created once; found again on later runs)."""
    rng = random.Random(7)
    password = make_password(None)
    tenants = Tenants()
    for n in range(1, AGENCIES + 1):
        agency, _ = Organization.objects.get_or_create(
            name=f"{PREFIX} Agency {n}", defaults={"kind": Organization.Kind.AGENCY}
        )
        tenants.agencies.append(agency)
        tenants.agency_names[agency.pk] = agency.name
        tenants.liaisons[agency.pk] = [
            u.pk for u in _people(agency, Role.LIAISON, LIAISONS_PER_AGENCY, password=password)
        ]
        _people(agency, Role.ORG_ADMIN, 1, password=password)
    # Provider sizes follow a long tail: the first has about a third of all sites.
    weights = [1 / (n + 1) for n in range(PROVIDERS)]
    shares = [max(1, round(site_count * w / sum(weights))) for w in weights]
    for n, share in enumerate(shares, start=1):
        provider, _ = Organization.objects.get_or_create(
            name=f"{PREFIX} Provider {n}", defaults={"kind": Organization.Kind.PROVIDER}
        )
        tenants.providers.append(provider)
        supervisors = _people(provider, Role.SUPERVISOR, SUPERVISORS_PER_PROVIDER, password=password)
        tenants.supervisors[provider.pk] = [u.pk for u in supervisors]
        _people(provider, Role.ORG_ADMIN, 1, password=password)
        for agency in tenants.agencies:
            Partnership.objects.get_or_create(provider=provider, agency=agency)
        known = {site.code: site for site in Site.objects.filter(provider=provider)}
        fresh = []
        for s in range(1, share + 1):
            code = f"s{s}"
            if code in known:
                continue
            fresh.append(
                Site(
                    provider=provider,
                    agency=tenants.agencies[(n + s) % AGENCIES],
                    name=f"{rng.choice(SURNAMES)} {rng.choice(KINDS_OF_SITE)} {s}",
                    code=code,
                    address=f"{rng.randint(1, 300)} {rng.choice(SURNAMES)} Road",
                    latitude=Decimal(f"{rng.uniform(50.5, 53.5):.6f}"),
                    longitude=Decimal(f"{rng.uniform(-2.5, 0.5):.6f}"),
                    time_zone=rng.choice(ZONES),
                )
            )
        Site.objects.bulk_create(fresh)
        sites = list(Site.objects.filter(provider=provider).order_by("pk")[:share])
        tenants.sites += sites
        guards = _people(provider, Role.GUARD, GUARDS_PER_SITE * len(sites), password=password)
        assigned = set(SiteAssignment.objects.filter(user__in=guards).values_list("user_id", flat=True))
        assignments = []
        for index, site in enumerate(sites):
            chunk = guards[index * GUARDS_PER_SITE : (index + 1) * GUARDS_PER_SITE]
            tenants.guards[site.pk] = [guard.pk for guard in chunk]
            assignments += [SiteAssignment(user=g, site=site) for g in chunk if g.pk not in assigned]
        SiteAssignment.objects.bulk_create(assignments)
    return tenants


def scale_incidents() -> Any:
    return Incident.objects.filter(site__provider__name__startswith=f"{PREFIX} Provider ")


# --- Reset --------------------------------------------------------------------------------------


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
    return count


# --- Rows ---------------------------------------------------------------------------------------


class Ids:
    """Explicit primary keys for COPY: from the table's current maximum, the sequence set after."""

    def __init__(self, model: type[Model]) -> None:
        self.model = model
        self.next = (model._default_manager.aggregate(top=Max("pk"))["top"] or 0) + 1

    def take(self) -> int:
        value = self.next
        self.next += 1
        return value

    def sync_sequence(self) -> None:
        table = self.model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 1)) FROM {table}"
            )


class Writer:
    """Rows of one model, sent by COPY in batches, with the model's concrete columns."""

    def __init__(self, model: type[Model]) -> None:
        self.model = model
        self.fields = [f for f in model._meta.concrete_fields]
        self.columns = [str(f.column) for f in self.fields]
        self.names = [f.attname for f in self.fields]
        self.rows: list[tuple[Any, ...]] = []
        self.count = 0

    def add(self, **values: Any) -> None:
        self.rows.append(tuple(values[name] for name in self.names))
        if len(self.rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        table = connection.ops.quote_name(self.model._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for row in self.rows:
                copy.write_row(row)
        self.count += len(self.rows)
        self.rows = []


def _weighted(rng: random.Random, choices: Sequence[Any], weights: Sequence[float]) -> Callable[[], Any]:
    cumulative: list[float] = []
    total = 0.0
    for weight in weights:
        total += weight
        cumulative.append(total)
    return lambda: rng.choices(choices, cum_weights=cumulative)[0]


def _plate(rng: random.Random) -> str:
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    return (
        f"{rng.choice(letters)}{rng.choice(letters)}{rng.randint(10, 75)} "
        f"{rng.choice(letters)}{rng.choice(letters)}{rng.choice(letters)}"
    )


@dataclass
class Story:
    """One incident's generated facts, before they become rows."""

    narrative: str
    location: str
    parties: list[dict[str, str]]
    vehicles: list[dict[str, str]]


def _story(rng: random.Random, category: str, site: Site) -> Story:
    subject = rng.choice(SUBJECTS)
    place = rng.choice(PLACES)
    action = rng.choice(ACTIONS.get(category, ACTIONS["other"]))
    details = " ".join(rng.sample(DETAILS, rng.randint(1, 3)))
    narrative = f"{subject[0].upper()}{subject[1:]} seen {action} the {place} at {site.name}. {details}"
    parties = []
    for _ in range(rng.choice((0, 0, 0, 0, 1, 1, 2))):
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
        role = rng.choice(InvolvedParty.Role.values)
        parties.append({"role": role, "description": f"{subject}, {role}", "name": name, "contact": ""})
    vehicles = []
    if category in ("suspicious-vehicle", "theft", "burglary") and rng.random() < 0.3:
        vehicles.append({"plate": _plate(rng), "description": rng.choice(VEHICLES)})
    return Story(narrative=narrative, location=place, parties=parties, vehicles=vehicles)


def _search_document(reference: str, story: Story) -> str:
    parts = [reference, story.location, story.narrative]
    for party in story.parties:
        parts += [party["description"], party["name"]]
    for vehicle in story.vehicles:
        parts += [vehicle["plate"], vehicle["description"]]
    return "\n".join(part for part in parts if part)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _payload(escalation: dict[str, Any], incident: dict[str, Any], site: Site, category: Category) -> str:
    """A board event's stored payload, in the shape dispatch.events.escalation_payload gives."""
    status = Escalation.Status(escalation["status"])
    return json.dumps(
        {
            "escalation": {
                "id": str(escalation["public_id"]),
                "status": status.value,
                "status_label": status.label,
                "source": escalation["source"],
                "is_panic": False,
                "panic_active": False,
                "reason": escalation["reason"],
                "rejection_reason": "",
                "cancel_reason": escalation["cancel_reason"],
                "disposition": escalation["disposition"],
                "case_number": escalation["case_number"],
                "version": escalation["version"],
                "requested_at": _iso(escalation["requested_at"]),
                "accepted_at": _iso(escalation["accepted_at"]),
                "dispatched_at": _iso(escalation["dispatched_at"]),
                "on_scene_at": _iso(escalation["on_scene_at"]),
                "cleared_at": _iso(escalation["cleared_at"]),
                "incident": {
                    "id": str(incident["public_id"]),
                    "reference": incident["reference"],
                    "severity": incident["severity"],
                    "category": category.name,
                    "site": site.name,
                    "site_address": site.address,
                    "time_zone": site.time_zone,
                    "location": incident["location"],
                    "latitude": str(incident["latitude"]),
                    "longitude": str(incident["longitude"]),
                    "narrative": incident["narrative"],
                    "occurred_at": _iso(incident["occurred_at"]),
                },
            }
        }
    )


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
        writers: dict[type[Model], Writer] = {
            model: Writer(model)
            for model in (Incident, TimelineEntry, InvolvedParty, Vehicle, Escalation, BoardEvent)
        }
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
            reference = f"WP-{year}-{counters[year]:06d}"
            story = _story(self.rng, category.code, site)
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
                "reporter_id": reporter,
                "category_id": category.pk,
                "severity": severity,
                "status": status,
                "occurred_at": received - timedelta(minutes=self.rng.randint(1, 90)),
                "device_time": received - timedelta(seconds=self.rng.randint(0, 20)),
                "received_at": received,
                "submitted_at": submitted,
                "closed_at": closed,
                "location": story.location,
                "latitude": (site.latitude or Decimal(0)) + offset,
                "longitude": (site.longitude or Decimal(0)) - offset,
                "location_accuracy_m": self.rng.choice((None, 5, 10, 25, 65)),
                "narrative": story.narrative,
                "resolution": "Resolved on site." if closed else "",
                "idempotency_key": uuid.UUID(int=self.rng.getrandbits(128), version=4),
                "version": 1,
                "search_document": _search_document(reference, story),
                "created_at": received,
                "updated_at": closed or received,
            }
            timeline: list[Entry] = [(received, reporter, Kind.CREATED, {"reference": reference})]
            for party in story.parties:
                writers[InvolvedParty].add(
                    id=ids[InvolvedParty].take(), incident_id=incident_id, created_at=received, **party
                )
            for vehicle in story.vehicles:
                writers[Vehicle].add(
                    id=ids[Vehicle].take(), incident_id=incident_id, created_at=received, **vehicle
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
        steps = [("accepted", 4), ("dispatched", 10), ("on_scene", 12), ("cleared", 60)]
        if is_open:
            steps = steps[: self.rng.randint(0, 3)]
        elif self.rng.random() < 0.1:
            steps = [("cancelled", 15)]
        escalation: dict[str, Any] = {
            "id": ids[Escalation].take(),
            "public_id": uuid.UUID(int=self.rng.getrandbits(128), version=4),
            "incident_id": incident["id"],
            "agency_id": agency_id,
            "status": Escalation.Status.REQUESTED,
            "source": Escalation.Source.SUPERVISOR,
            "reason": "Needs police attendance.",
            "requested_by_id": supervisor,
            "requested_at": requested,
            "accepted_at": None,
            "accepted_by_id": None,
            "rejected_at": None,
            "rejection_reason": "",
            "dispatched_at": None,
            "on_scene_at": None,
            "cleared_at": None,
            "disposition": "",
            "case_number": "",
            "cancelled_at": None,
            "cancel_reason": "",
            "panic_cleared_at": None,
            "panic_cleared_by_id": None,
            "version": 1,
        }
        agency = self.tenants.agency_names[agency_id]
        reference = {"escalation": str(escalation["public_id"]), "agency": agency}
        data = {**reference, "source": "supervisor", "reason": escalation["reason"]}
        entries: list[Entry] = [(requested, supervisor, Kind.ESCALATED, data)]
        events = [("escalation.requested", dict(escalation), requested)]
        at = requested
        for target, minutes in steps:
            at = at + timedelta(minutes=self.rng.uniform(0.5, minutes))
            if at > now:
                break
            old = escalation["status"]
            escalation["status"] = target
            escalation["version"] += 1
            if target == "accepted":
                escalation["accepted_at"], escalation["accepted_by_id"] = at, liaison
            elif target == "cancelled":
                escalation["cancelled_at"], escalation["cancel_reason"] = (
                    at,
                    "Resolved before police arrived.",
                )
            else:
                escalation[f"{target}_at"] = at
            if target == "cleared":
                escalation["disposition"] = "Words of advice given."
                escalation["case_number"] = f"CAD-{self.rng.randint(100000, 999999)}"
            actor = supervisor if target == "cancelled" else liaison
            data = {**reference, "old": old, "new": target}
            entries.append((at, actor, Kind.ESCALATION_UPDATED, data))
        if escalation["status"] != Escalation.Status.REQUESTED:
            # The board's log keeps the request and the latest state (steps between are not needed here).
            events.append((f"escalation.{escalation['status']}", dict(escalation), at))
        writers[Escalation].add(**escalation)
        for name, state, created in events:
            sequences[agency_id] += 1
            writers[BoardEvent].add(
                id=ids[BoardEvent].take(),
                agency_id=agency_id,
                sequence=sequences[agency_id],
                name=name,
                escalation_id=escalation["id"],
                payload=_payload(state, incident, site, category),
                created_at=created,
            )
        return entries


def seed(*, total: int, out: Output = sys.stderr) -> dict[str, int]:
    """Write ``total`` scale incidents (COPY, in one transaction), then rebuild the search index
    and refresh the planner's statistics."""
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
        cursor.execute("DROP INDEX IF EXISTS incident_search_gin")
        cursor.execute("SET maintenance_work_mem = '512MB'")
    try:
        with transaction.atomic():
            counts = Seeder(tenants=tenants, total=total, out=out).run()
    finally:
        step = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute(SEARCH_INDEX)
        out.write(f"  search index rebuilt ({time.monotonic() - step:.1f} s)\n")
    step = time.monotonic()
    with connection.cursor() as cursor:
        for model in (Incident, TimelineEntry, InvolvedParty, Vehicle, Escalation, BoardEvent):
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
    out.write(f"  vacuum analyze ({time.monotonic() - step:.1f} s)\n")
    return counts
