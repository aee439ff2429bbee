"""Incident creation through the API with 32 concurrent clients (an in-process asyncio load
generator on aiohttp, keep-alive connections), against a trivial Django JSON view served by the
same processes behind the same middleware, in the same run."""

import asyncio
import json
import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import aiohttp

from tests.bench import world as bench_world
from tests.bench.common import Scale, cpu_seconds, say, servers, summary_ms

CLIENTS = 32
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


def measure(kind: str, tokens: list[str], site_id: int, seconds: float) -> dict[str, Any]:
    def trivial(index: int) -> Request:
        return "GET", "/bench/trivial/", None, {}

    def create(index: int) -> Request:
        body = {
            "idempotency_key": str(uuid.uuid4()),
            "site": site_id,
            "category": "theft",
            "severity": 3,
            "location": "Level 1, Jackets & Co.",
            "narrative": "Staff saw a man leave with two jackets without paying; he left by the north doors.",
        }
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
    results["rate_ratio"] = round(
        results["create"]["requests_per_second"] / max(results["trivial"]["requests_per_second"], 0.1), 3
    )
    return results


def run(scale: Scale, kinds: tuple[str, ...]) -> dict[str, Any]:
    world = bench_world.build(liaisons=1, guards=CLIENTS)
    tokens = [bench_world.token(guard, by_admin_of=world.provider) for guard in world.guards[:CLIENTS]]
    return {kind: measure(kind, tokens, world.site.pk, scale.creation_seconds) for kind in kinds}
