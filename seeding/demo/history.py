"""Two years of closed demo incidents, so that every analytics chart shows something in `make run`.

Written in bulk as the services leave a closed report (a reference of its year, the search text, a
"created" timeline entry; an escalation the agency cleared, with its share, for the serious ones),
from a fixed random seed: the same history every time, and only once (idempotent by the reports'
idempotency keys). Busier evenings and weekends, a summer rise, and one site (Riverside Mall) whose
thefts climbed over the last two months, so the trends have a story to tell.
"""

import random
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Organization, Role, Site, User
from debriefs.models import Interval, ResponseTarget
from dispatch.models import Escalation
from incidents.models import Category, Incident, IncidentShare, ReferenceCounter, TimelineEntry
from incidents.search import search_text
from incidents.services import format_reference
from portal import zones

MICRO = Decimal("0.000001")
NAMESPACE = uuid.UUID("0b8f3f1e-2c55-4a51-9d55-8f0f7b7a4c21")
DAYS = 730
PER_SITE_DAY = 0.45  # about 330 a year at each site
CATEGORIES = {
    "theft": 5,
    "suspicious-person": 3,
    "suspicious-vehicle": 2,
    "vandalism": 2,
    "trespass": 2,
    "disturbance": 2,
    "hazard": 1,
}
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 1, 2, 2, 3, 3, 3, 4, 4, 4, 4, 5, 5, 6, 7, 7, 6, 5, 3, 2]
PLACES = ("Main entrance", "Car park A", "Car park B", "Loading bay", "Food court", "East stairwell", "Lobby")


# Metro's own targets, for the response-time table (the defaults hold elsewhere).
AGENCY_TARGETS = {"Metro Police Department": [(Interval.ACCEPTANCE, 300, 90), (Interval.ARRIVAL, 900, 80)]}


def seed_history() -> int:
    """The history's incidents, once (0 when it is there already), and Metro's response targets."""
    for name, targets in AGENCY_TARGETS.items():
        for interval, seconds, percentile in targets:
            agency = Organization.objects.filter(name=name).first()
            if agency is not None:
                ResponseTarget.objects.get_or_create(
                    interval=interval,
                    agency=agency,
                    site=None,
                    defaults={"seconds": seconds, "percentile": percentile},
                )
    if Incident.objects.filter(idempotency_key__in=[uuid.uuid5(NAMESPACE, "marker")]).exists():
        return 0
    rng = random.Random(19)  # noqa: S311 - a repeatable demo, not a secret
    categories = {c.code: c for c in Category.objects.filter(code__in=CATEGORIES)}
    codes = [c for c in CATEGORIES if c in categories]
    weights = [CATEGORIES[c] for c in codes]
    now = timezone.now()
    incidents: list[Incident] = []
    escalate: list[Incident] = []
    for site in Site.objects.filter(is_active=True).select_related("provider").order_by("pk"):
        # Filed by the provider's supervisor: the guard's own lists (their phone) keep to the live demo.
        reporter = _member(site.provider_id, Role.SUPERVISOR)
        if reporter is None:
            continue
        in_zone = zones.zone(site.time_zone)
        for back in range(DAYS, 0, -1):
            day = (now - timedelta(days=back)).astimezone(in_zone).date()
            rate = (
                PER_SITE_DAY
                * (1.4 if day.weekday() >= 5 else 1.0)
                * (1.25 if day.month in (6, 7, 8) else 1.0)
            )
            rising = site.code == "riverside" and back <= 60
            if rising:
                rate *= 2.2
            count = sum(1 for _ in range(6) if rng.random() < rate / 6)
            for n in range(count):
                hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
                local = datetime(day.year, day.month, day.day, hour, rng.randrange(60), tzinfo=in_zone)
                occurred = local.astimezone(zones.zone("UTC"))
                code = "theft" if rising and rng.random() < 0.6 else rng.choices(codes, weights=weights)[0]
                category = categories[code]
                severity = category.default_severity if rng.random() < 0.8 else rng.randint(1, 4)
                received = occurred + timedelta(minutes=rng.randint(2, 30))
                incident = Incident(
                    site=site,
                    provider_id=site.provider_id,
                    reporter=reporter,
                    category=category,
                    severity=severity,
                    status=Incident.Status.CLOSED,
                    occurred_at=occurred,
                    device_time=received,
                    received_at=received,
                    submitted_at=received,
                    closed_at=received + timedelta(hours=rng.uniform(1, 30)),
                    location=rng.choice(PLACES),
                    narrative=f"{category.name} reported by the patrol.",
                    resolution="Resolved on site.",
                    idempotency_key=uuid.uuid5(NAMESPACE, f"{site.pk}:{back}:{n}"),
                )
                if site.latitude is not None and site.longitude is not None and rng.random() < 0.7:
                    # Where the guard's phone placed it: around the site, most near its busy corner.
                    spread = Decimal("0.0008") if rng.random() < 0.5 else Decimal("0.003")
                    incident.latitude = site.latitude + spread * Decimal(rng.uniform(-1, 1)).quantize(MICRO)
                    incident.longitude = site.longitude + spread * Decimal(rng.uniform(-1, 1)).quantize(MICRO)
                    incident.latitude, incident.longitude = (
                        incident.latitude.quantize(MICRO),
                        incident.longitude.quantize(MICRO),
                    )
                incidents.append(incident)
                if site.agency_id and severity <= 2 and rng.random() < 0.5:
                    escalate.append(incident)
    if not incidents:
        return 0
    with transaction.atomic():
        incidents.sort(key=lambda i: i.received_at)
        _number(incidents)
        Incident.objects.bulk_create(incidents, batch_size=500)
        TimelineEntry.objects.bulk_create(
            [
                TimelineEntry(
                    incident=i,
                    at=i.received_at,
                    actor=i.reporter,
                    kind=TimelineEntry.Kind.CREATED,
                    data={"reference": i.reference},
                )
                for i in incidents
            ],
            batch_size=500,
        )
        _escalations(rng, escalate)
        # The marker: a history is there (its key never collides with a report's).
        Incident.objects.filter(pk=incidents[0].pk).update(idempotency_key=uuid.uuid5(NAMESPACE, "marker"))
    return len(incidents)


def _member(organization_id: int, role: Role) -> User | None:
    membership = (
        Membership.objects.filter(organization_id=organization_id, role=role)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return membership.user if membership else None


def _number(incidents: list[Incident]) -> None:
    """References in each year's sequence, drawn from the counter the services use."""
    per_year: dict[int, list[Incident]] = {}
    for incident in incidents:
        per_year.setdefault(incident.received_at.year, []).append(incident)
    for year, rows in per_year.items():
        counter, _ = ReferenceCounter.objects.select_for_update().get_or_create(
            year=year, defaults={"last": 0}
        )
        for offset, incident in enumerate(rows, start=1):
            incident.reference = format_reference(year, counter.last + offset)
            incident.search_document = search_text(
                reference=incident.reference,
                location=incident.location,
                narrative=incident.narrative,
                parties=[],
                vehicles=[],
            )
        counter.last += len(rows)
        counter.save(update_fields=["last"])


def _escalations(rng: random.Random, chosen: list[Incident]) -> None:
    """The serious ones went to the site's agency, which accepted, attended and cleared them."""
    escalations, shares = [], []
    for incident in chosen:
        site, received, agency_id = incident.site, incident.received_at, incident.site.agency_id
        if agency_id is None:
            continue
        liaison = _member(agency_id, Role.LIAISON)
        supervisor = _member(site.provider_id, Role.SUPERVISOR)
        if liaison is None or supervisor is None:
            continue
        requested = received + timedelta(minutes=rng.uniform(1, 15))
        accepted = requested + timedelta(minutes=rng.uniform(0.3, 6))
        dispatched = accepted + timedelta(minutes=rng.uniform(0.5, 8))
        on_scene = dispatched + timedelta(minutes=rng.uniform(3, 20))
        cleared = on_scene + timedelta(minutes=rng.uniform(10, 80))
        escalations.append(
            Escalation(
                incident=incident,
                agency_id=agency_id,
                provider_id=site.provider_id,
                status=Escalation.Status.CLEARED,
                source=Escalation.Source.SUPERVISOR,
                reason="Needs police attendance.",
                requested_by=supervisor,
                requested_at=requested,
                accepted_at=accepted,
                accepted_by=liaison,
                dispatched_at=dispatched,
                on_scene_at=on_scene,
                cleared_at=cleared,
                disposition="Words of advice given.",
                case_number=f"CAD-{rng.randint(100000, 999999)}",
                version=5,
            )
        )
        shares.append(IncidentShare(incident=incident, agency_id=agency_id, created_at=requested))
    Escalation.objects.bulk_create(escalations, batch_size=500)
    IncidentShare.objects.bulk_create(shares, batch_size=500)
