"""The demo tenants and people that `manage.py seed_demo` creates (idempotent)."""

import time
from dataclasses import dataclass

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.db import transaction

from accounts.models import Membership, Organization, Partnership, Role, Site, SiteAssignment, User

DEMO_PASSWORD = "watchpost-demo"  # noqa: S105  (demo data only; the command refuses DEBUG off)
# The demo liaisons and admins must use MFA; their authenticator app is seeded with this published
# secret, so `manage.py demo_code` (or any TOTP app) gives the current code.
DEMO_TOTP_SECRET = "WATCHPOSTDEMOTOTPSECRETWATCHPOST"  # noqa: S105  (base32, demo data only)

PROVIDERS = {"sentinel": "Sentinel Security", "harbor": "Harbor Guard Services"}
# One supervisor per provider: each provider's org admin is the second pair of eyes on its debriefs
# (under "another supervisor" alone, a lone supervisor's debrief could never be approved).
DEBRIEF_REVIEWERS = {
    "sentinel": Organization.DebriefReviewers.SUPERVISOR_OR_ADMIN,
    "harbor": Organization.DebriefReviewers.SUPERVISOR_OR_ADMIN,
}
AGENCIES = {"metro": "Metro Police Department", "county": "Lake County Sheriff's Office"}
PARTNERSHIPS = [("sentinel", "metro"), ("sentinel", "county"), ("harbor", "metro")]
SITES = [
    # provider, code, name, address, lat, lon, agency
    (
        "sentinel",
        "riverside",
        "Riverside Mall",
        "100 River Rd, Springfield",
        "41.8781",
        "-87.6298",
        "metro",
    ),
    (
        "sentinel",
        "northgate",
        "Northgate Offices",
        "2 Northgate Plaza, Springfield",
        "41.9001",
        "-87.6502",
        "metro",
    ),
    (
        "sentinel",
        "lakeside",
        "Lakeside Depot",
        "7 Shore Dr, Lake County",
        "42.0100",
        "-87.7000",
        "county",
    ),
    (
        "harbor",
        "harborpoint",
        "Harbor Point Plaza",
        "1 Harbor Way, Springfield",
        "41.8600",
        "-87.6100",
        "metro",
    ),
    (
        "harbor",
        "pier9",
        "Pier 9 Warehouse",
        "9 Pier St, Springfield",
        "41.8550",
        "-87.6050",
        "metro",
    ),
]
SITE_TIME_ZONE = "America/Chicago"
# Sites in two zones, so a day in a list's filter is visibly the site's day: Lakeside Depot keeps
# Eastern time, an hour ahead of the Springfield sites (README "Time zones").
SITE_TIME_ZONES = {"lakeside": "America/Detroit"}
# The zone of each organization's people's own views (they may choose their own): the county
# sheriff's liaisons read their inbox and audit trail in Eastern time, like their one site.
ORGANIZATION_TIME_ZONES = {"county": "America/Detroit"}


@dataclass(frozen=True)
class DemoAccount:
    email: str
    full_name: str
    role: str
    organization: str


def _accounts() -> list[DemoAccount]:
    accounts = []
    for key, name in PROVIDERS.items():
        accounts += [
            DemoAccount(f"guard@{key}.example", f"{key.title()} Guard", Role.GUARD, name),
            DemoAccount(f"supervisor@{key}.example", f"{key.title()} Supervisor", Role.SUPERVISOR, name),
            DemoAccount(f"admin@{key}.example", f"{key.title()} Admin", Role.ORG_ADMIN, name),
        ]
    for key, name in AGENCIES.items():
        accounts += [
            DemoAccount(f"liaison@{key}.example", f"{key.title()} Liaison", Role.LIAISON, name),
            DemoAccount(f"admin@{key}.example", f"{key.title()} Admin", Role.ORG_ADMIN, name),
        ]
    return accounts


DEMO_ACCOUNTS = _accounts()
PLATFORM_ADMIN = DemoAccount("platform@watchpost.example", "Platform Admin", "platform admin", "—")


def _user(email: str, full_name: str, *, mfa: bool = False, **flags: bool) -> User:
    user, created = User.objects.get_or_create(email=email, defaults={"full_name": full_name, **flags})
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    if mfa and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, DEMO_TOTP_SECRET)
    return user


def demo_totp_code() -> str:
    """The code the demo accounts' authenticator app shows now."""
    return format_hotp_value(hotp_value(DEMO_TOTP_SECRET, int(time.time()) // 30))


@transaction.atomic
def seed_accounts() -> list[DemoAccount]:
    orgs: dict[str, Organization] = {}
    for key, name in PROVIDERS.items():
        reviewers = DEBRIEF_REVIEWERS.get(key, Organization.DebriefReviewers.SUPERVISOR)
        zone = ORGANIZATION_TIME_ZONES.get(key, SITE_TIME_ZONE)
        orgs[key], _ = Organization.objects.update_or_create(
            name=name,
            defaults={"debrief_reviewers": reviewers, "time_zone": zone},
            create_defaults={
                "kind": Organization.Kind.PROVIDER,
                "debrief_reviewers": reviewers,
                "time_zone": zone,
            },
        )
    for key, name in AGENCIES.items():
        zone = ORGANIZATION_TIME_ZONES.get(key, SITE_TIME_ZONE)
        orgs[key], _ = Organization.objects.update_or_create(
            name=name,
            defaults={"time_zone": zone},
            create_defaults={"kind": Organization.Kind.AGENCY, "time_zone": zone},
        )
    for provider, agency in PARTNERSHIPS:
        Partnership.objects.get_or_create(provider=orgs[provider], agency=orgs[agency])
    sites: dict[str, Site] = {}
    for provider, code, name, address, lat, lon, agency in SITES:
        sites[code], _ = Site.objects.get_or_create(
            provider=orgs[provider],
            code=code,
            defaults={
                "name": name,
                "address": address,
                "latitude": lat,
                "longitude": lon,
                "agency": orgs[agency],
                "time_zone": SITE_TIME_ZONES.get(code, SITE_TIME_ZONE),
            },
        )
    by_name = {org.name: org for org in orgs.values()}
    for account in DEMO_ACCOUNTS:
        user = _user(account.email, account.full_name, mfa=account.role in (Role.LIAISON, Role.ORG_ADMIN))
        Membership.objects.get_or_create(
            user=user,
            defaults={"organization": by_name[account.organization], "role": account.role},
        )
        if account.role == Role.GUARD:
            for site in Site.objects.filter(provider=by_name[account.organization]).order_by("pk")[:2]:
                SiteAssignment.objects.get_or_create(user=user, site=site)
    _user(PLATFORM_ADMIN.email, PLATFORM_ADMIN.full_name, mfa=True, is_staff=True, is_superuser=True)
    return [*DEMO_ACCOUNTS, PLATFORM_ADMIN]
