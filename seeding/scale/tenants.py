# ruff: noqa: S311 (sample data, not secrets)
"""The scale tenants ("Scale Provider 1", "Scale Agency 1", …), their sites and people: created once,
found again on later runs."""

import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db.models import QuerySet

from accounts.models import Membership, Organization, Partnership, Role, Site, SiteAssignment, User
from incidents.models import Incident
from seeding.scale.text import FIRST_NAMES, SURNAMES

PREFIX = "Scale"
PROVIDERS = 12
AGENCIES = 4
GUARDS_PER_SITE = 4
SUPERVISORS_PER_PROVIDER = 3
LIAISONS_PER_AGENCY = 10
KINDS_OF_SITE = ["Retail Park", "Shopping Centre", "Depot", "Tower", "Campus", "Hospital", "Station"]
ZONES = ["Europe/London", "Europe/Dublin", "Europe/Paris", "Europe/Berlin"]


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


def scale_incidents() -> QuerySet[Incident]:
    """Every incident of the scale tenants."""
    return Incident.objects.filter(site__provider__name__startswith=f"{PREFIX} Provider ")
