"""Audit appends under concurrency (docs/audit.md): threads that each append records, one transaction
per record, on the PostgreSQL database of DATABASE_URL (migrated here). Prints records per second and
the time one append transaction takes (p50, p95: waiting for any lock included), once with the
record alone in its transaction and once with 2 ms of other work after it, as when a report is filed.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/wp_bench_audit \\
        .venv/bin/python -m tests.bench.audit_appends [THREADS] [APPENDS]
"""

import json
import os
import sys
import threading
import time
from datetime import UTC, datetime

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
if "pool_max_size" not in os.environ.get("DATABASE_URL", ""):
    # One pooled connection per thread, so that no thread waits for the pool instead of the log.
    os.environ["DATABASE_URL"] = os.environ.get("DATABASE_URL", "") + "?pool_max_size=40"

import django

django.setup()

from django.core.management import call_command  # noqa: E402  (after django.setup())
from django.db import connection, transaction  # noqa: E402

from audit import services  # noqa: E402
from tests.bench.common import summary_ms  # noqa: E402


def _appender(appends: int, work: float, latencies: list[float], start: threading.Barrier) -> None:
    start.wait()
    try:
        for n in range(appends):
            began = time.perf_counter()
            with transaction.atomic():
                services.record(action="bench.append", n=n)
                if work:
                    time.sleep(work)
            latencies.append(time.perf_counter() - began)
    finally:
        connection.close()


def run(threads: int, appends: int, work: float) -> dict[str, object]:
    latencies: list[float] = []
    start = threading.Barrier(threads + 1)
    workers = [
        threading.Thread(target=_appender, args=(appends, work, latencies, start)) for _ in range(threads)
    ]
    for worker in workers:
        worker.start()
    start.wait()
    began = time.perf_counter()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - began
    return {
        "threads": threads,
        "appends_each": appends,
        "other_work_ms": work * 1000,
        "records_per_second": round(len(latencies) / elapsed, 1),
        "append_ms": summary_ms(latencies),
    }


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("DATABASE_URL must point to PostgreSQL")
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 16
    appends = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    call_command("migrate", verbosity=0)
    run(threads, 10, 0.0)  # warm-up: connections opened, plans cached
    results = [run(threads, appends, 0.0), run(threads, appends, 0.002)]
    print(json.dumps({"at": datetime.now(UTC).isoformat(timespec="seconds"), "results": results}, indent=2))


if __name__ == "__main__":
    main()
