"""Audit appends under concurrency (docs/audit.md): threads that each append records, one transaction
per record, on the PostgreSQL database of DATABASE_URL (migrated here), while the sealer runs every
2 s as the beat schedule runs it. Prints records per second and the time one append transaction takes
(p50, p95: waiting for any lock included), once with the record alone in its transaction and once
with 2 ms of other work after it, as when a report is filed; then how fast the sealer catches up.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/wp_bench_audit \\
        .venv/bin/python -m tests.bench.audit_appends [THREADS] [APPENDS]
"""

import json
import os
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
# A checkpoint file of this run's own: one left by another database would stop the sealer.
os.environ.setdefault("AUDIT_CHECKPOINT_FILE", os.path.join(tempfile.mkdtemp(), "audit-checkpoints.log"))
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


def _sealer(stop: threading.Event) -> None:
    try:
        while not stop.wait(2.0):
            services.seal_records()
    finally:
        connection.close()


def run(threads: int, appends: int, work: float, *, sealing: bool = True) -> dict[str, object]:
    latencies: list[float] = []
    start, stop = threading.Barrier(threads + 1), threading.Event()
    workers = [
        threading.Thread(target=_appender, args=(appends, work, latencies, start)) for _ in range(threads)
    ]
    sealer = threading.Thread(target=_sealer, args=(stop,))
    for worker in workers:
        worker.start()
    if sealing:
        sealer.start()
    start.wait()
    began = time.perf_counter()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - began
    stop.set()
    if sealing:
        sealer.join()
    return {
        "threads": threads,
        "appends_each": appends,
        "other_work_ms": work * 1000,
        "sealer_running": sealing,
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
    services.seal_records()
    results = [run(threads, appends, 0.0), run(threads, appends, 0.002)]
    services.seal_records()
    # The sealer's own pace: a backlog written while it was stopped, sealed in one run.
    results.append(run(threads, appends, 0.0, sealing=False))
    began = time.perf_counter()
    backlog = services.seal_records()
    caught_up = time.perf_counter() - began
    verified = services.verify()
    report = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "results": results,
        "sealer_backlog": {
            "records": backlog,
            "seconds": round(caught_up, 3),
            "records_per_second": round(backlog / caught_up, 1),
        },
        "verified": {
            "sealed": verified.sealed,
            "problem": str(verified.problem) if verified.problem else None,
        },
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
