"""Idle sockets: thousands of signed-in board sockets on one server process. Memory per socket is
the growth of the process's resident set (/proc/<pid>/status) divided by the sockets opened;
a failure is a socket that did not open, or that no longer answers a ping after the hold."""

import time
from typing import Any

from tests.bench import world as bench_world
from tests.bench.clients import BoardFleet, Target
from tests.bench.common import Scale, flush_redis, rss_kb, say, servers

WARM = 20  # sockets opened and closed first, so that the code and pools they use are loaded


def measure(kind: str, cookies: list[str], after: int, hold: float) -> dict[str, Any]:
    with servers(kind, 1, label="idle") as [(process, port)]:
        host = f"127.0.0.1:{port}"
        targets = [Target(f"ws://{host}/ws/board/", cookie, f"http://{host}") for cookie in cookies]
        with BoardFleet(targets[:WARM], after=after):
            pass
        time.sleep(2)
        before = rss_kb(process.pid)
        say(f"idle/{kind}: opening {len(targets)} sockets on one process (RSS {before / 1024:.0f} MB)")
        with BoardFleet(targets, after=after) as fleet:
            time.sleep(3)
            opened_rss = rss_kb(process.pid)
            say(f"idle/{kind}: {fleet.report}; holding {hold:.0f} s")
            time.sleep(hold)
            check = fleet.check(timeout=60)
            held_rss = rss_kb(process.pid)
        opened = fleet.report["opened"]
        failures = fleet.report["failed"] + (opened - check["answered"])
    return {
        "server": kind,
        "sockets": len(targets),
        "opened": opened,
        "open_seconds": fleet.report["seconds"],
        "answered_after_hold": check["answered"],
        "failures": failures,
        "errors": {**fleet.report["errors"], **check["errors"]},
        "hold_seconds": hold,
        "rss_before_mb": round(before / 1024, 1),
        "rss_open_mb": round(opened_rss / 1024, 1),
        "rss_after_hold_mb": round(held_rss / 1024, 1),
        "kb_per_socket": round((opened_rss - before) / max(opened, 1), 1),
        "kb_per_socket_after_hold": round((held_rss - before) / max(opened, 1), 1),
    }


def run(scale: Scale, kinds: tuple[str, ...]) -> dict[str, Any]:
    world = bench_world.build(liaisons=scale.idle_sockets, guards=1)
    cookies = bench_world.session_cookies(world.liaisons[: scale.idle_sockets])
    results = {}
    for kind in kinds:
        flush_redis()
        results[kind] = measure(kind, cookies, world.last_board_sequence(), scale.idle_hold)
        figures = results[kind]
        say(f"idle/{kind}: {figures['kb_per_socket']} KB per socket, {figures['failures']} failures")
    return results
