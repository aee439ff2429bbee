"""Board fan-out: escalations made through the HTTP API reach every board socket of the agency,
spread over two server processes; timed from the API's response to each socket's receipt. The
same clients, in the same run, against the bare broadcaster (tests/bench/broadcaster.py)."""

import http.client
import json
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import redis
from django.utils import timezone

from dispatch import events
from dispatch.models import BoardEvent, Escalation
from tests.bench import world as bench_world
from tests.bench.clients import BoardFleet, Target
from tests.bench.common import (
    DATA_DIR,
    PYTHON,
    REDIS_URL,
    Scale,
    cpu_seconds,
    flush_redis,
    profiled,
    say,
    server_environment,
    servers,
    summary_ms,
)
from tests.processes import free_port, spawn, wait_for_text

WARMUP = 5  # escalations before the measured ones (imports, pools, caches); not counted


def _targets(ports: list[int], cookies: list[str], path: str) -> list[Target]:
    hosts = [f"127.0.0.1:{ports[n % len(ports)]}" for n in range(len(cookies))]
    return [
        Target(f"ws://{host}{path}", cookie, f"http://{host}")
        for host, cookie in zip(hosts, cookies, strict=True)
    ]


def _paced(count: int, interval: float, act: Callable[[int], dict[str, Any]]) -> list[dict[str, Any]]:
    """Call ``act`` ``count`` times, one start every ``interval`` seconds (or at once if late)."""
    results = []
    start = time.monotonic()
    for n in range(count):
        delay = start + n * interval - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        results.append(act(n))
    return results


def _latencies(
    received: list[list[tuple[int, float]]], sent: dict[int, dict[str, Any]]
) -> dict[str, list[float]]:
    """Seconds to each receipt of a measured event: from the API's response (negative when the frame
    came first), from the API's request, and from the first socket's receipt of the same event."""
    first: dict[int, float] = {}
    for frames in received:
        for seq, at in frames:
            if seq in sent and at < first.get(seq, float("inf")):
                first[seq] = at
    found: dict[str, list[float]] = {"response": [], "request": [], "first": []}
    for frames in received:
        for seq, at in frames:
            if seq in sent:
                found["response"].append(at - sent[seq]["answered"])
                found["request"].append(at - sent[seq]["sent"])
                found["first"].append(at - first[seq])
    return found


def _figures(fleet: BoardFleet, sent: dict[int, dict[str, Any]], timeout: float) -> dict[str, Any]:
    collected = fleet.collect(len(sent), timeout)
    found = _latencies(collected["events"], sent)
    expected = fleet.report["opened"] * len(sent)
    return {
        "sockets": fleet.report,
        "escalations": len(sent),
        "deliveries": len(found["response"]),
        "lost": expected - len(found["response"]),
        "received_before_response": sum(1 for value in found["response"] if value < 0),
        "latency_ms": summary_ms(found["response"]),
        "from_request_ms": summary_ms(found["request"]),
        "spread_ms": summary_ms(found["first"]),
        "alive_after": collected["alive"],
    }


def measure_portal(kind: str, world: bench_world.World, cookies: list[str], scale: Scale) -> dict[str, Any]:
    """The portal on two processes of ``kind``; escalations through the API, alternating processes."""
    incidents = bench_world.submitted_incidents(world, WARMUP + scale.escalations)
    token = bench_world.token(world.supervisor, by_admin_of=world.provider)
    with servers(kind, 2, label="fanout") as processes:
        ports = [port for _, port in processes]
        connections = {port: http.client.HTTPConnection("127.0.0.1", port, timeout=60) for port in ports}
        say(f"fan-out/{kind}: opening {len(cookies)} board sockets on 2 processes")
        with BoardFleet(_targets(ports, cookies, "/ws/board/"), after=world.last_board_sequence()) as fleet:
            say(f"fan-out/{kind}: {fleet.report}")

            def escalate(n: int) -> dict[str, Any]:
                port = ports[n % len(ports)]
                body = json.dumps({"incident": str(incidents[n].public_id)})
                headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
                sent = time.monotonic()
                connections[port].request("POST", "/api/v1/escalations/", body, headers)
                response = connections[port].getresponse()
                payload = response.read()
                answered = time.monotonic()
                escalation = json.loads(payload).get("id") if response.status == 201 else None
                return {"sent": sent, "answered": answered, "status": response.status, "id": escalation}

            warm = _paced(WARMUP, scale.interval, escalate)
            fleet.collect(WARMUP, 30)
            say(f"fan-out/{kind}: {scale.escalations} escalations, one every {scale.interval} s")
            cpu_before = [cpu_seconds(process.pid) for process, _ in processes]
            with profiled(processes[0][0].pid, f"fanout-{kind}", scale.escalations * scale.interval):
                calls = _paced(scale.escalations, scale.interval, lambda n: escalate(WARMUP + n))
            cpu_after = [cpu_seconds(process.pid) for process, _ in processes]
            seqs = dict(
                BoardEvent.objects.filter(
                    escalation__public_id__in=[c["id"] for c in calls if c["id"]], name="escalation.requested"
                ).values_list("escalation__public_id", "sequence")
            )
            sent = {seqs[uuid.UUID(c["id"])]: c for c in calls if c["id"]}
            figures = _figures(fleet, sent, timeout=60)
    failed = [c["status"] for c in warm + calls if c["status"] != 201]
    figures.update(
        server=kind,
        api_ms=summary_ms([c["answered"] - c["sent"] for c in calls]),
        api_failures=len(failed),
        server_cpu_seconds=round(sum(cpu_after) - sum(cpu_before), 2),
    )
    return figures


def measure_bare(world: bench_world.World, cookies: list[str], scale: Scale) -> dict[str, Any]:
    """The same clients and frames against two bare broadcaster processes fed by Redis pub/sub."""
    # The frame a board gets for a new escalation, byte for byte the same size.
    incident = bench_world.submitted_incidents(world, 1)[0]
    draft = Escalation(
        incident=incident,
        agency=world.agency,
        source=Escalation.Source.SUPERVISOR,
        requested_by=world.supervisor,
        requested_at=timezone.now(),
    )
    frame = {"type": "event", "seq": 0, "event": "escalation.requested"}
    frame["escalation"] = events.escalation_payload(draft)
    channel = f"bench-bare-{uuid.uuid4().hex[:8]}"
    ports = [free_port(), free_port()]
    publisher = redis.Redis.from_url(REDIS_URL)
    with ExitStack() as stack:
        processes = []
        for index, port in enumerate(ports):
            log = DATA_DIR / f"fanout-bare-{index}.log"
            args = [PYTHON, "-m", "tests.bench.broadcaster", "--port", str(port), "--redis", REDIS_URL]
            process = stack.enter_context(spawn([*args, "--channel", channel], server_environment(), log))
            wait_for_text(log, "broadcaster on", process, timeout=30)
            processes.append(process)
        say(f"fan-out/bare: opening {len(cookies)} sockets on 2 broadcaster processes")
        with BoardFleet(_targets(ports, cookies, "/")) as fleet:
            say(f"fan-out/bare: {fleet.report}")

            def publish(n: int) -> dict[str, Any]:
                text = json.dumps({**frame, "seq": n + 1})
                sent = time.monotonic()
                publisher.publish(channel, text)
                return {"sent": sent, "answered": time.monotonic(), "seq": n + 1}

            _paced(WARMUP, scale.interval, publish)
            fleet.collect(WARMUP, 30)
            say(f"fan-out/bare: {scale.escalations} frames, one every {scale.interval} s")
            cpu_before = [cpu_seconds(process.pid) for process in processes]
            calls = _paced(scale.escalations, scale.interval, lambda n: publish(WARMUP + n))
            cpu_after = [cpu_seconds(process.pid) for process in processes]
            figures = _figures(fleet, {c["seq"]: c for c in calls}, timeout=60)
    publisher.close()
    figures.update(server="bare", server_cpu_seconds=round(sum(cpu_after) - sum(cpu_before), 2))
    return figures


def run(scale: Scale, kinds: tuple[str, ...]) -> dict[str, Any]:
    world = bench_world.build(liaisons=scale.boards, guards=8)
    cookies = bench_world.session_cookies(world.liaisons[: scale.boards])
    results: dict[str, Any] = {"boards": scale.boards, "escalations": scale.escalations}
    results["bare"] = measure_bare(world, cookies, scale)
    say(f"fan-out/bare: {results['bare']['latency_ms']}")
    for kind in kinds:
        flush_redis()
        results[kind] = measure_portal(kind, world, cookies, scale)
        # The portal pushes at commit, before its response is written: the comparable measure is the
        # time from the first socket's receipt of an event to each socket's (the bare: likewise).
        results[kind]["p50_ratio_to_bare"] = round(
            results[kind]["spread_ms"]["p50"] / max(results["bare"]["spread_ms"]["p50"], 0.01), 2
        )
        say(f"fan-out/{kind}: {results[kind]['latency_ms']} lost {results[kind]['lost']}")
    return results
