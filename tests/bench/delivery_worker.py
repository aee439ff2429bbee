"""The Celery app of the delivery benchmark's worker (`celery -A tests.bench.delivery_worker worker`):
the portal's own app, plus counters of what each pool process asked of PostgreSQL, written to
``DELIVERY_BENCH_COUNTS/<pid>.json`` when the process ends (tests/bench/deliveries.py reads them).
Nothing else differs from `make worker`."""

import json
import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from celery.signals import task_postrun, worker_process_init, worker_process_shutdown
from django.db import connections
from django.db.backends.signals import connection_created

from portal.celery import app

COUNTS: Counter[str] = Counter()


def count_statement(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
    COUNTS["statements"] += 1
    COUNTS[f"sql {sql.lstrip().split(' ', 1)[0].upper()}"] += 1
    return execute(sql, params, many, context)


def _count_on(connection: Any, **_: object) -> None:
    COUNTS["connections"] += 1  # a connection taken (from the pool) for a task
    if count_statement not in connection.execute_wrappers:
        connection.execute_wrappers.append(count_statement)


@worker_process_init.connect
def _start_counting(**_: object) -> None:
    """In each pool process, once Django is set up (connected earlier, the receiver was not called)."""
    connection_created.connect(_count_on, weak=False)
    for connection in connections.all():
        if count_statement not in connection.execute_wrappers:
            connection.execute_wrappers.append(count_statement)


@task_postrun.connect
def _count_task(**_: object) -> None:
    COUNTS["tasks"] += 1


@worker_process_shutdown.connect
def _write_counts(**_: object) -> None:
    folder = os.environ.get("DELIVERY_BENCH_COUNTS")
    if folder:
        (Path(folder) / f"{os.getpid()}.json").write_text(json.dumps(COUNTS))


__all__ = ["app"]
