"""Incident creation through the API with 32 concurrent clients (an in-process asyncio load
generator on aiohttp, keep-alive connections), against a trivial Django JSON view served by the
same processes behind the same middleware, in the same run."""

import asyncio
import http.client
import json
import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import aiohttp
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.bench import world as bench_world
from tests.bench.common import Scale, cpu_seconds, say, servers, summary_ms

CLIENTS = 32
ESCALATIONS = 30  # escalations through the API, one after another, no boards open
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")
WARMUP = 2.0  # seconds of load before the measured window (not counted)

Request = tuple[str, str, bytes | None, dict[str, str]]


async def _load(bases: list[str], request: Callable[[int], Request], seconds: float) -> dict[str, Any]:
    """CLIENTS loops, each sending one request after another for WARMUP + ``seconds``."""
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    start = time.monotonic()
    measured_from, deadline = start + WARMUP, start + WARMUP + seconds
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def client(index: int) -> None:
            base = bases[index % len(bases)]
            while time.monotonic() < deadline:
                method, path, body, headers = request(index)
                sent = time.monotonic()
                async with session.request(method, base + path, data=body, headers=headers) as response:
                    await response.read()
                done = time.monotonic()
                if sent >= measured_from and done <= deadline:
                    latencies.append(done - sent)
                    statuses[response.status] += 1

        await asyncio.gather(*(client(index) for index in range(CLIENTS)))
    return {
        "requests_per_second": round(len(latencies) / seconds, 1),
        "latency_ms": summary_ms(latencies),
        "statuses": {str(code): count for code, count in statuses.items()},
    }


def _report(site_id: int) -> dict[str, Any]:
    return {
        "idempotency_key": str(uuid.uuid4()),
        "site": site_id,
        "category": "theft",
        "severity": 3,
        "location": "Level 1, Jackets & Co.",
        "narrative": "Staff saw a man leave with two jackets without paying; he left by the north doors.",
    }


def queries_per_report(token: str, site_id: int) -> dict[str, Any]:
    """The statements one report through the API sends to PostgreSQL (in this process, with Django's
    test client: the whole middleware and view), not counting BEGIN/COMMIT; the fewest of three."""
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    counts, writes = [], []
    for _ in range(4):
        with CaptureQueriesContext(connection) as captured:
            response = client.post("/api/v1/incidents/", _report(site_id), content_type="application/json")
        assert response.status_code == 201, response.content
        sql = [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(TRANSACTION_CONTROL)]
        counts.append(len(sql))
        writes = [q.split()[2].strip('"') for q in sql if q.startswith("INSERT")]
    return {"queries": min(counts[1:]), "counts": counts[1:], "inserts_into": writes}


def escalations(port: int, token: str, incident_ids: list[str]) -> dict[str, Any]:
    """POST /api/v1/escalations/ one after another (no boards open: the API's own cost)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    durations, statuses = [], Counter[int]()
    for n, incident in enumerate(incident_ids):
        sent = time.monotonic()
        conn.request("POST", "/api/v1/escalations/", json.dumps({"incident": incident}), headers)
        response = conn.getresponse()
        response.read()
        if n >= 3:  # the first ones warm the process up
            durations.append(time.monotonic() - sent)
            statuses[response.status] += 1
    conn.close()
    return {"latency_ms": summary_ms(durations), "statuses": {str(k): v for k, v in statuses.items()}}


def measure(
    kind: str, tokens: list[str], site_id: int, seconds: float, escalate: tuple[str, list[str]]
) -> dict[str, Any]:
    def trivial(index: int) -> Request:
        return "GET", "/bench/trivial/", None, {}

    def create(index: int) -> Request:
        body = _report(site_id)
        headers = {
            "Authorization": f"Bearer {tokens[index % len(tokens)]}",
            "Content-Type": "application/json",
        }
        return "POST", "/api/v1/incidents/", json.dumps(body).encode(), headers

    results: dict[str, Any] = {"server": kind, "processes": 2, "clients": CLIENTS, "seconds": seconds}
    with servers(kind, 2, label="creation") as processes:
        bases = [f"http://127.0.0.1:{port}" for _, port in processes]
        for name, request in (("trivial", trivial), ("create", create)):
            say(f"creation/{kind}: {name}, {CLIENTS} clients, {WARMUP + seconds:.0f} s")
            cpu = sum(cpu_seconds(process.pid) for process, _ in processes)
            results[name] = asyncio.run(_load(bases, request, seconds))
            results[name]["server_cpu_seconds"] = round(
                sum(cpu_seconds(process.pid) for process, _ in processes) - cpu, 2
            )
            figures = results[name]
            say(f"creation/{kind}: {name} {figures['requests_per_second']}/s {figures['latency_ms']}")
        say(f"creation/{kind}: {len(escalate[1])} escalations through the API, one after another")
        results["escalation"] = escalations(processes[0][1], escalate[0], escalate[1])
        say(f"creation/{kind}: escalation {results['escalation']['latency_ms']}")
    results["rate_ratio"] = round(
        results["create"]["requests_per_second"] / max(results["trivial"]["requests_per_second"], 0.1), 3
    )
    return results


def run(scale: Scale, kinds: tuple[str, ...]) -> dict[str, Any]:
    world = bench_world.build(liaisons=1, guards=CLIENTS)
    tokens = [bench_world.token(guard, by_admin_of=world.provider) for guard in world.guards[:CLIENTS]]
    supervisor = bench_world.token(world.supervisor, by_admin_of=world.provider)
    results: dict[str, Any] = {"per_report": queries_per_report(tokens[0], world.site.pk)}
    say(f"creation: {results['per_report']}")
    for kind in kinds:
        incidents = [str(i.public_id) for i in bench_world.submitted_incidents(world, ESCALATIONS + 3)]
        results[kind] = measure(kind, tokens, world.site.pk, scale.creation_seconds, (supervisor, incidents))
    return results
