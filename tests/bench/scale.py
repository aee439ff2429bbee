"""Reads at scale: `seed_scale` fills the bench database, then the list, its filters, the board
and full-text search are requested as their users would (Django's test client in this process:
the whole middleware, view, query and serialization, without a network), each many times."""

import time
from datetime import timedelta
from typing import Any

from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Role, User
from analytics import selectors as analytics
from debriefs import selectors as debriefs
from incidents.models import Incident, Vehicle
from portal import keyset
from seeding import scale as seeding
from tests.bench import world as bench_world
from tests.bench.common import Scale, say, summary_ms

WARMUP = 2
LIST_PAGE = 20  # rows per list page: 20 pages of them even at the small scale's tenth
PLATFORM_ADMIN = "platform-admin@scale.example"
# The analytics dashboard (issue 19: trends, day-by-hour, hotspots, response times against targets on
# one page) as each of its audiences opens it: request name -> (who, path). ``?by=`` regroups the
# response times.
ANALYTICS = {
    "supervisor: trends, response times by site": ("supervisor", "/analytics/"),
    "supervisor: response times by month": ("supervisor", "/analytics/?by=month"),
    "liaison: trends, response times by site": ("liaison", "/analytics/"),
    "liaison: response times by category": ("liaison", "/analytics/?by=category"),
    "platform admin: trends, response times by site": ("platform admin", "/analytics/"),
    "platform admin: response times by agency": ("platform admin", "/analytics/?by=agency"),
}
# Whose page counts the queries a second time: the same role in another tenant (a figure must not
# cost a query per site, category or agency shown).
# The dashboard's parts, each timed on its own (its selector, as the page calls it).
ANALYTICS_PARTS = {
    "trends": lambda user: analytics.get_trends(for_user=user, today=timezone.localdate()),
    "hotspots": lambda user: analytics.get_hotspots(for_user=user, today=timezone.localdate()),
    "map": lambda user: analytics.get_hotspot_map(for_user=user, since=timezone.now() - timedelta(days=90)),
    "response times": lambda user: debriefs.get_response_times(
        for_user=user, since=timezone.now() - timedelta(days=360), by="site"
    ),
}
ANALYTICS_OTHER = {
    "supervisor": "other supervisor",
    "liaison": "other liaison",
    "platform admin": "platform admin",
}


def _user(organization: str, role: Role) -> User:
    user = User.objects.filter(membership__organization__name=organization, membership__role=role).first()
    assert user is not None, f"no {role} in {organization}: seed_scale made none"
    return user


def _platform_admin() -> User:
    """The operator (staff, no organization), with an authenticator as admins must have."""
    user, _ = User.objects.get_or_create(
        email=PLATFORM_ADMIN, defaults={"full_name": "Scale Platform Admin", "is_staff": True}
    )
    return user


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _deep_cursor(client: Client, path: str, pages: int) -> str:
    """The cursor of the ``pages``-th page, reached as a client does: following ``next``."""
    url = path
    for _ in range(pages - 1):
        url = client.get(url).json()["next"]
        assert url, f"fewer than {pages} pages at {path}"
    return url.split("cursor=", 1)[1].split("&", 1)[0]


def _variants(provider_incidents: Any, client: Client) -> dict[str, dict[str, str]]:
    """Each family's requests: URL paths with the query a user would type or click."""
    newest = provider_incidents.order_by("-received_at").first()
    site = provider_incidents.values_list("site_id", flat=True).first()
    week_end = newest.received_at.date() - timedelta(days=30)
    week_start = week_end - timedelta(days=6)
    sent = provider_incidents.exclude(status=Incident.Status.DRAFT)
    depth = min(1000, sent.count() // 3)  # among the oldest: the first months of three years
    old = provider_incidents.order_by("received_at")[depth : depth + 1].get()
    plate = Vehicle.objects.filter(incident__in=provider_incidents).values_list("plate", flat=True).first()
    api = "/api/v1/incidents/"
    # An old cursor: a bookmark from the first months (the keyset of an incident received then).
    year_old = sent.order_by("received_at")[depth : depth + 1].get()
    paged = f"{api}?page_size={LIST_PAGE}"
    old_cursor = keyset.encode([year_old.received_at, year_old.pk], keyset.FORWARD)
    return {
        "list": {
            "first page": f"{api}?page_size={LIST_PAGE}",
            "second page": f"{api}?page_size={LIST_PAGE}&cursor={_deep_cursor(client, paged, 2)}",
            "20th page (cursor)": f"{api}?page_size={LIST_PAGE}&cursor={_deep_cursor(client, paged, 20)}",
            "old cursor": f"{api}?page_size={LIST_PAGE}&cursor={old_cursor}",
            "web page": "/incidents/",
        },
        "filters": {
            "status": f"{api}?status=submitted",
            "severity": f"{api}?severity=1",
            "site": f"{api}?site={site}",
            "category": f"{api}?category=assault",
            "week": f"{api}?received_from={week_start}&received_to={week_end}",
            "combined": f"{api}?status=closed&severity=2&category=burglary&ordering=severity",
        },
        "board": {"page": "/board/", "api": "/api/v1/escalations/?open=1"},
        "search": {
            "common word": f"{api}?q=cctv",
            "phrase": f"{api}?q=%22red+jacket%22",
            "two words": f"{api}?q=copper+cable",
            "rare name": f"{api}?q=Kowalski+Freya",
            "reference": f"{api}?q={old.reference}",
            "plate": f"{api}?q={(plate or 'AB12 CDE').replace(' ', '+')}",
        },
    }


def _time(client: Client, path: str, rounds: int) -> list[float]:
    for _ in range(WARMUP):
        client.get(path)
    durations = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = client.get(path)
        durations.append(time.perf_counter() - started)
        assert response.status_code == 200, (path, response.status_code, response.content[:300])
    return durations


def _paged(path: str, size: int) -> str:
    return f"{path}{'&' if '?' in path else '?'}page_size={size}"


def _queries(client: Client, path: str) -> int:
    """Queries of a steady request: the fewest of three (the idle-timeout middleware writes the
    session at most every 30 s, three queries that belong to no page)."""
    counts = []
    for _ in range(3):
        with CaptureQueriesContext(connection) as captured:
            client.get(path)
        counts.append(len(captured))
    return min(counts)


def _seed(total: int) -> float | None:
    """Seed to ``total`` scale incidents: nothing if there, a top-up from fewer, else afresh."""
    existing = seeding.scale_incidents().count()
    say(f"scale: seeding to {total:,} incidents (seed_scale; {existing:,} there)")
    if existing == total:
        return None
    started = time.monotonic()
    call_command("seed_scale", incidents=total, reset=existing > total, top_up=0 < existing < total)
    return round(time.monotonic() - started, 1)


def run(scale: Scale) -> dict[str, Any]:
    """The reads at a tenth of the size, then at the size (topped up): the ratio of the two says
    whether a request's cost grows with the table."""
    smaller = _measure(scale, scale.incidents // 10)
    results = _measure(scale, scale.incidents)
    results["smaller"] = smaller
    results["ratios"] = {
        family: {
            name: _ratio(
                variant["ms"].get("p95"), _get(smaller, "families", family, "variants", name, "ms", "p95")
            )
            for name, variant in figures["variants"].items()
        }
        for family, figures in results["families"].items()
    }
    ratios = [r for family in results["ratios"].values() for r in family.values() if r is not None]
    results["worst_ratio"] = max(ratios) if ratios else None
    lists = results["families"]["list"]["variants"]
    first = lists["first page"]["ms"]["p95"]
    results["deep_ratio"] = {
        name: _ratio(lists[name]["ms"]["p95"], first) for name in ("20th page (cursor)", "old cursor")
    }
    return results


def _get(data: Any, *keys: str) -> Any:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _ratio(value: float | None, base: float | None) -> float | None:
    return round(value / base, 2) if value and base else None


def _time_call(call: Any, user: User, rounds: int) -> list[float]:
    call(user)
    durations = []
    for _ in range(rounds):
        started = time.perf_counter()
        call(user)
        durations.append(time.perf_counter() - started)
    return durations


def _measure_analytics(scale: Scale, clients: dict[str, Client], users: dict[str, User]) -> dict[str, Any]:
    """The analytics dashboard as the largest provider's supervisor, an agency's liaison and the
    platform admin; its queries counted for that user and for the same role in another tenant."""
    say(f"scale: analytics ({len(ANALYTICS)} requests x {scale.query_rounds})")
    samples: list[float] = []
    per_variant = {}
    for name, (who, path) in ANALYTICS.items():
        durations = _time(clients[who], path, scale.query_rounds)
        samples += durations
        queries = [_queries(clients[who], path), _queries(clients[ANALYTICS_OTHER[who]], path)]
        per_variant[name] = {"path": path, "who": who, "ms": summary_ms(durations), "queries": queries}
    parts = {
        who: {
            part: summary_ms(_time_call(call, users[who], scale.query_rounds))
            for part, call in ANALYTICS_PARTS.items()
        }
        for who in ("supervisor", "liaison", "platform admin")
    }
    figures: dict[str, Any] = {
        "who": "supervisor, liaison, platform admin",
        "ms": summary_ms(samples),
        "variants": per_variant,
        "parts": parts,
        "queries_constant": all(len(set(v["queries"])) == 1 for v in per_variant.values()),
    }
    say(f"scale: analytics p95 {figures['ms']['p95']} ms")
    return figures


def _measure(scale: Scale, total: int) -> dict[str, Any]:
    seeded_seconds = _seed(total)
    supervisor = _user(f"{seeding.PREFIX} Provider 1", Role.SUPERVISOR)
    liaison = _user(f"{seeding.PREFIX} Agency 1", Role.LIAISON)
    other = _user(f"{seeding.PREFIX} Agency 2", Role.LIAISON)
    admin = _platform_admin()
    bench_world.enroll_mfa([liaison, other, admin])
    clients = {
        "supervisor": _client(supervisor),
        "other supervisor": _client(_user(f"{seeding.PREFIX} Provider 2", Role.SUPERVISOR)),
        "liaison": _client(liaison),
        "other liaison": _client(other),
        "platform admin": _client(admin),
    }
    provider_incidents = Incident.objects.filter(site__provider__memberships__user=supervisor)
    visible = provider_incidents.exclude(status=Incident.Status.DRAFT).count()
    variants = _variants(provider_incidents, clients["supervisor"])
    who: dict[str, str] = {
        "list": "supervisor",
        "filters": "supervisor",
        "board": "liaison",
        "search": "supervisor",
    }
    results: dict[str, Any] = {
        "incidents": Incident.objects.count(),
        "seed_seconds": seeded_seconds,
        "visible_to_supervisor": visible,
        "open_on_board": None,
        "families": {},
    }
    for family, paths in variants.items():
        client = clients[who[family]]
        say(f"scale: {family} ({len(paths)} requests x {scale.query_rounds}, as the {who[family]})")
        samples: list[float] = []
        per_variant = {}
        for name, path in paths.items():
            durations = _time(client, path, scale.query_rounds)
            samples += durations
            # The same number of queries for 10 rows as for 100 (lists), or for a board of another
            # agency with another number of open escalations (the board): no query per row.
            if family == "board":
                queries = [_queries(client, path), _queries(clients["other liaison"], path)]
            else:
                queries = [_queries(client, _paged(path, 10)), _queries(client, _paged(path, 100))]
            per_variant[name] = {"path": path, "ms": summary_ms(durations), "queries": queries}
        results["families"][family] = {
            "who": who[family],
            "ms": summary_ms(samples),
            "variants": per_variant,
            "queries_constant": all(len(set(v["queries"])) == 1 for v in per_variant.values()),
        }
        say(f"scale: {family} p95 {results['families'][family]['ms']['p95']} ms")
    users = {"supervisor": supervisor, "liaison": liaison, "platform admin": admin}
    results["families"]["analytics"] = _measure_analytics(scale, clients, users)
    board_response = clients["liaison"].get("/api/v1/escalations/?open=1&page_size=200")
    results["open_on_board"] = board_response.json()["count"]
    return results
