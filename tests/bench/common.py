"""What every benchmark shares: the scale, the bench's own database and Redis, server processes,
progress lines and percentiles. Nothing here sets Django up, so client processes stay light."""

import math
import os
import platform
import resource
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from subprocess import Popen
from typing import Any

import redis

from tests.processes import free_port, makefile_variable, spawn, wait_http

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(ROOT / ".venv/bin/python")
DATABASE = os.environ.get("BENCH_DATABASE", "watchpost_bench")
PG = os.environ.get("BENCH_PG", "postgres@127.0.0.1:5432")
REDIS_DB = int(os.environ.get("BENCH_REDIS_DB", "12"))
DATABASE_URL = f"postgres://{PG}/{DATABASE}"
REDIS_URL = f"redis://127.0.0.1:6379/{REDIS_DB}"
DATA_DIR = ROOT / "var" / "bench"
OPEN_FILES = 20_000
SERVERS = ("daphne", "uvicorn")


@dataclass(frozen=True)
class Scale:
    name: str
    boards: int  # fan-out: board sockets over two processes
    escalations: int  # fan-out: escalations made through the API
    interval: float  # fan-out: seconds between escalations
    idle_sockets: int  # idle: board sockets on one process
    idle_hold: float  # idle: seconds the sockets stay open before they are checked
    creation_seconds: float  # creation: seconds measured per server and view
    incidents: int  # scale: incidents seeded
    query_rounds: int  # scale: requests per endpoint variant
    timeline: int  # PDF: timeline entries of the incident


SCALES = {
    "full": Scale("full", 1_000, 200, 0.25, 5_000, 30.0, 20.0, 1_000_000, 10, 500),
    "small": Scale("small", 300, 40, 0.25, 1_000, 10.0, 8.0, 20_000, 15, 500),
}


def scale_from_environment() -> Scale:
    name = os.environ.get("BENCH_SCALE", "full") or "full"
    if name not in SCALES:
        sys.exit(f"BENCH_SCALE: choose one of {', '.join(SCALES)} (got {name!r})")
    return SCALES[name]


def server_environment(**extra: str) -> dict[str, str]:
    """The environment of the bench's server and worker processes (production-like: DEBUG off)."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TZ")
    env = {key: os.environ[key] for key in keep if key in os.environ}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.bench.settings",
        DATABASE_URL=DATABASE_URL,
        REDIS_URL=REDIS_URL,
        DATA_DIR=str(DATA_DIR),
        DEBUG="false",
        SECRET_KEY="bench-only-secret-key-not-used-anywhere-else-0123456789",
        AUDIT_KEY="bench-only-audit-key-not-used-anywhere-else-0123456789",
        SECURE_SSL_REDIRECT="false",
        LOG_LEVEL="WARNING",
        CELERY_QUEUE="bench",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def configure_this_process() -> None:
    """Point this process's Django at the bench's database and Redis (before django.setup())."""
    os.environ.update(server_environment())
    DATA_DIR.mkdir(parents=True, exist_ok=True)


def flush_redis() -> None:
    """Empty the bench's Redis database: no group members left over from the last server processes
    (stale members slow every group_send, STACK_NOTES.md), no queued tasks."""
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    client.close()


def raise_open_files(wanted: int = OPEN_FILES) -> int:
    """Thousands of sockets need thousands of descriptors (children inherit the limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


_STARTED = time.monotonic()


def say(message: str) -> None:
    """A progress line: minutes and seconds since the run began."""
    elapsed = int(time.monotonic() - _STARTED)
    print(f"[bench {elapsed // 60:02d}:{elapsed % 60:02d}] {message}", flush=True)


def percentile(ordered: Sequence[float], share: float) -> float:
    """Nearest-rank percentile of an already sorted sequence."""
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(share / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def summary_ms(seconds: Sequence[float]) -> dict[str, float]:
    """p50, p95, p99, max and mean of durations in seconds, as milliseconds."""
    ordered = sorted(seconds)
    if not ordered:
        return {"n": 0}
    return {
        "n": len(ordered),
        "min": round(ordered[0] * 1000, 2),
        "p50": round(percentile(ordered, 50) * 1000, 2),
        "p95": round(percentile(ordered, 95) * 1000, 2),
        "p99": round(percentile(ordered, 99) * 1000, 2),
        "max": round(ordered[-1] * 1000, 2),
        "mean": round(sum(ordered) / len(ordered) * 1000, 2),
    }


def rss_kb(pid: int) -> int:
    """A process's resident set size in KB (VmRSS of /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_command(kind: str, port: int) -> list[str]:
    """An ASGI server process serving the portal, as production would start it."""
    if kind == "daphne":
        return [PYTHON, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "portal.asgi:application"]
    if kind == "uvicorn":
        # The Makefile's UVICORN_FLAGS (make web, make run), with BENCH_UVICORN_FLAGS to try others.
        flags = os.environ.get("BENCH_UVICORN_FLAGS") or makefile_variable("UVICORN_FLAGS")
        return [
            PYTHON, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
            *flags.split(), "--log-level", "warning", "portal.asgi:application",
        ]  # fmt: skip
    raise ValueError(f"unknown server {kind!r}")


@contextmanager
def servers(kind: str, count: int, *, label: str) -> Iterator[list[tuple[Popen[bytes], int]]]:
    """``count`` server processes of one kind on free ports, stopped (with their groups) on exit."""
    ports = [free_port() for _ in range(count)]
    env = server_environment()
    with ExitStack() as stack:
        started = []
        for index, port in enumerate(ports):
            log = DATA_DIR / f"{label}-{kind}-{index}.log"
            started.append((stack.enter_context(spawn(server_command(kind, port), env, log)), port, log))
        for process, port, log in started:
            wait_http(f"http://127.0.0.1:{port}/healthz", process, log, timeout=60)
        yield [(process, port) for process, port, _ in started]


@contextmanager
def profiled(pid: int, name: str, seconds: float) -> Iterator[None]:
    """With BENCH_PROFILE=1, py-spy samples the process while the block runs: collapsed stacks in
    var/bench/<name>.txt (open them in speedscope, or sort them with grep)."""
    if os.environ.get("BENCH_PROFILE") != "1":
        yield
        return
    output = DATA_DIR / f"{name}.txt"
    spy = str(ROOT / ".venv/bin/py-spy")
    args = [spy, "record", "--pid", str(pid), "--duration", str(int(seconds) + 1), "--format", "raw"]
    with Popen([*args, "--output", str(output), "--nonblocking"]) as recorder:
        try:
            yield
        finally:
            recorder.wait(timeout=seconds + 60)
    say(f"profile of {name}: {output}")


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory_kb = int(line.split()[1])
    os_name = platform.platform()
    release = Path("/etc/os-release")
    if release.exists():
        for line in release.read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"')
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "os": os_name,
        "kernel": platform.release(),
        "python": platform.python_version(),
    }
