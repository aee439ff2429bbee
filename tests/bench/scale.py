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

from accounts.models import Role, User
from incidents.models import Incident, Vehicle
from seeding import scale as seeding
from tests.bench import world as bench_world
from tests.bench.common import Scale, say, summary_ms

WARMUP = 2


def _user(organization: str, role: Role) -> User:
    user = User.objects.filter(membership__organization__name=organization, membership__role=role).first()
    assert user is not None, f"no {role} in {organization}: seed_scale made none"
    return user


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _variants(provider_incidents: Any) -> dict[str, dict[str, str]]:
    """Each family's requests: URL paths with the query a user would type or click."""
    newest = provider_incidents.order_by("-received_at").first()
    site = provider_incidents.values_list("site_id", flat=True).first()
    week_end = newest.received_at.date() - timedelta(days=30)
    week_start = week_end - timedelta(days=6)
    old = provider_incidents.order_by("received_at")[1000:1001].get()
    plate = Vehicle.objects.filter(incident__in=provider_incidents).values_list("plate", flat=True).first()
    api = "/api/v1/incidents/"
    return {
        "list": {f"page {n}": f"{api}?page={n}" for n in (1, 2, 5, 20)},
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


def run(scale: Scale) -> dict[str, Any]:
    existing = seeding.scale_incidents().count()
    say(f"scale: seeding {scale.incidents:,} incidents (seed_scale; {existing:,} there)")
    started = time.monotonic()
    call_command("seed_scale", incidents=scale.incidents, reset=existing not in (0, scale.incidents))
    seeded_seconds = round(time.monotonic() - started, 1)
    supervisor = _user(f"{seeding.PREFIX} Provider 1", Role.SUPERVISOR)
    liaison = _user(f"{seeding.PREFIX} Agency 1", Role.LIAISON)
    other = _user(f"{seeding.PREFIX} Agency 2", Role.LIAISON)
    bench_world.enroll_mfa([liaison, other])
    clients = {
        "supervisor": _client(supervisor),
        "liaison": _client(liaison),
        "other liaison": _client(other),
    }
    provider_incidents = Incident.objects.filter(site__provider__memberships__user=supervisor)
    visible = provider_incidents.exclude(status=Incident.Status.DRAFT).count()
    variants = _variants(provider_incidents)
    who: dict[str, str] = {
        "list": "supervisor",
        "filters": "supervisor",
        "board": "liaison",
        "search": "supervisor",
    }
    results: dict[str, Any] = {
        "incidents": Incident.objects.count(),
        "seed_seconds": seeded_seconds if existing != scale.incidents else None,
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
    board_response = clients["liaison"].get("/api/v1/escalations/?open=1&page_size=200")
    results["open_on_board"] = board_response.json()["count"]
    return results
