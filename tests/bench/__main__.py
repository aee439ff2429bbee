"""`make bench`: run every benchmark against real PostgreSQL and Redis, then write
docs/PERFORMANCE.md and docs/bench-results.json.

    BENCH_SCALE=small|full      (default full)
    BENCH_ONLY=fanout,creation  run only these (results go to var/bench/, not docs/)
    BENCH_SERVERS=daphne,uvicorn  the ASGI servers compared
    BENCH_RESUME=1              keep the benchmarks an interrupted run of the same scale finished

The bench has its own database (watchpost_bench, created and migrated here) and Redis database
(12, flushed between benchmarks); it never touches the test or development data."""

import json
import os
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from importlib.metadata import version
from typing import Any

import psycopg
import redis

from tests.bench.common import (
    DATA_DIR,
    DATABASE,
    PG,
    REDIS_URL,
    ROOT,
    SERVERS,
    Scale,
    configure_this_process,
    flush_redis,
    machine,
    raise_open_files,
    say,
    scale_from_environment,
)

configure_this_process()

import django  # noqa: E402  (the environment above must be set first)

django.setup()

from django.core.management import call_command  # noqa: E402

from tests.bench import creation, fanout, idle, pdf, report, scale  # noqa: E402

Benchmark = Callable[[Scale, tuple[str, ...]], dict[str, Any]]
BENCHMARKS: list[tuple[str, Benchmark]] = [
    ("fanout", fanout.run),
    ("creation", creation.run),
    ("idle", idle.run),
    ("pdf", lambda s, kinds: pdf.run(s)),
    ("scale", lambda s, kinds: scale.run(s)),
]


def ensure_database() -> None:
    with psycopg.connect(f"postgresql://{PG}/postgres", autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{DATABASE}"')


def versions() -> dict[str, str]:
    packages = ("Django", "channels", "channels-redis", "daphne", "uvicorn", "websockets", "psycopg", "redis")
    found = {name: version(name) for name in packages}
    with psycopg.connect(f"postgresql://{PG}/postgres") as connection:
        row = connection.execute("SHOW server_version").fetchone()
        found["PostgreSQL"] = str(row[0]) if row else "?"
    found["Redis"] = str(redis.Redis.from_url(REDIS_URL).info("server")["redis_version"])
    return found


def code() -> dict[str, Any]:
    """The commit measured, and how many files differed from it (work in progress in the tree)."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    status = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True)
    changed = [line for line in status.stdout.splitlines() if not line.startswith("??")]
    return {"commit": head.stdout.strip(), "uncommitted_files": len(changed)}


def stop(signum: int, frame: object) -> None:
    # Unwind (stopping the servers, workers and clients this run started), then exit.
    raise SystemExit(f"stopped by signal {signum}: BENCH_RESUME=1 keeps what was finished")


def main() -> int:
    signal.signal(signal.SIGTERM, stop)
    chosen = scale_from_environment()
    only = [name for name in os.environ.get("BENCH_ONLY", "").split(",") if name]
    kinds = tuple(name for name in os.environ.get("BENCH_SERVERS", ",".join(SERVERS)).split(",") if name)
    limit = raise_open_files()
    say(f"scale {chosen.name}, servers {', '.join(kinds)}, open files {limit}, data in {DATA_DIR}")
    ensure_database()
    say(f"database {DATABASE}: migrating")
    call_command("migrate", "--noinput", verbosity=0)
    flush_redis()
    results: dict[str, Any] = {
        "config": asdict(chosen),
        "servers": list(kinds),
        "machine": machine(),
        "versions": versions(),
        "code": code(),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    progress = DATA_DIR / f"results-{chosen.name}.json"
    if os.environ.get("BENCH_RESUME") == "1" and progress.exists():
        # A run that was cut short: keep what it finished (same scale), run the rest.
        earlier = json.loads(progress.read_text())
        done = {
            name: earlier[name] for name, _ in BENCHMARKS if name in earlier and "error" not in earlier[name]
        }
        results.update(done)
        results["started_at"] = earlier.get("started_at", results["started_at"])
        say(f"resuming: {', '.join(done) or 'nothing'} already measured")
    failed = []
    for name, benchmark in BENCHMARKS:
        if (only and name not in only) or name in results:
            continue
        started = time.monotonic()
        load = [round(value, 1) for value in os.getloadavg()]
        say(f"{name}: start (load average {load[0]})")
        try:
            results[name] = benchmark(chosen, kinds)
        except Exception as error:
            traceback.print_exc()
            results[name] = {"error": f"{type(error).__name__}: {error}"}
            failed.append(name)
        results[name]["seconds"] = round(time.monotonic() - started, 1)
        results[name]["load_before"] = load[0]
        say(f"{name}: done in {results[name]['seconds']} s")
        progress.write_text(json.dumps(results, indent=2) + "\n")
        flush_redis()
    results["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    if only:
        target = DATA_DIR / f"partial-{'-'.join(only)}.json"
        target.write_text(json.dumps(results, indent=2) + "\n")
        say(f"wrote {target.relative_to(ROOT)} (BENCH_ONLY: docs/ left as they were)")
    else:
        report.write(results)
        say("wrote docs/PERFORMANCE.md and docs/bench-results.json")
    if failed:
        say(f"FAILED: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
