"""Delivery throughput (docs/RELIABILITY.md, "Delivery throughput"): what one notification costs a
real Celery worker on PostgreSQL and Redis, measured so that the figure means something on a shared,
noisy machine (CPU seconds, not only wall time).

    .venv/bin/python -m tests.bench.deliveries

A fresh database (DELIVERY_BENCH_DATABASE, default watchpost_deliveries, on DELIVERY_BENCH_PG,
default postgres@127.0.0.1:5432), a redis-server of its own on a free port, an SMTP server (aiosmtpd)
and the webhook receiver of tests/notifications/sinks.py on 127.0.0.1. DELIVERY_BENCH_ESCALATIONS
escalations (default 100) are made through the real services with the fault run's first rung (the
agency's two on-duty liaisons in-app and by email, its CAD webhook), their tasks held back; then one
worker (prefork, DELIVERY_BENCH_CONCURRENCY processes, default 2, as the fault run's) is started,
every pending outbox row is queued as the product queues it (outbox.enqueue), and the drain is timed.

Reported: deliveries per second of wall time; CPU milliseconds per delivery of the worker (main and
pool processes, from /proc), of the database's backends and of redis-server; SQL statements and
pooled connections per delivery (counted in the pool processes, tests/bench/delivery_worker.py);
Redis commands per delivery (INFO of the run's own redis-server: publish, consume, acknowledge, the
in-app push); the load average. Every row must end delivered and every receiver must have it, or
the run fails. DELIVERY_BENCH_PROFILE=<file>: py-spy samples the worker's processes through the drain
and the file gets the collapsed stacks; the top functions are printed. DELIVERY_BENCH_JSON=<file>:
the figures as JSON too."""

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import redis
from psycopg import sql

from tests.chaos.cluster import PYTHON, Database, Proc, RedisServer
from tests.processes import ROOT, free_port

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def say(message: str) -> None:
    print(f"[deliveries {time.strftime('%H:%M:%S')}] {message}", flush=True)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of one live process (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def process_tree(root: int) -> list[int]:
    """``root`` and every live descendant."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        tree += frontier
    return tree


def environment(database_url: str, redis_url: str, smtp_port: int, counts: str) -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TZ")
    env = {key: os.environ[key] for key in keep if key in os.environ}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        DATA_DIR=str(ROOT / "var" / "deliveries"),
        DEBUG="false",
        SECRET_KEY="deliveries-bench-only-secret-key-not-used-anywhere-else-0123456789",
        AUDIT_KEY="deliveries-bench-only-audit-key-not-used-anywhere-else-0123456789",
        SECURE_SSL_REDIRECT="false",
        LOG_LEVEL="WARNING",
        CELERY_QUEUE="deliveries",
        PYTHONUNBUFFERED="1",
        PUBLIC_URL="http://127.0.0.1:8000",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        EMAIL_USE_TLS="false",
        EMAIL_TIMEOUT="3",
        WEBHOOK_TIMEOUT="2",
        NOTIFY_LEASE_SECONDS="30",
        WEBHOOK_ALLOW_PRIVATE_NETWORKS="true",
        WEBHOOK_REQUIRE_HTTPS="false",
        DELIVERY_BENCH_COUNTS=counts,
    )
    return env


def top_functions(collapsed: Path, limit: int = 25) -> list[tuple[str, float, float]]:
    """(function, share of samples in it or below, share of samples in it itself) from py-spy's raw
    (collapsed) output, the largest inclusive shares first."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = [
            frame.split(" (", 1)[0] + " (" + frame.split(" (", 1)[-1].split(":")[0].rsplit("/", 1)[-1] + ")"
            for frame in stack.split(";")[1:]
        ]
        for frame in set(frames):
            inclusive[frame] += count
        if frames:
            own[frames[-1]] += count
    total = max(total, 1)
    return [(name, count / total, own[name] / total) for name, count in inclusive.most_common(limit)]


def migrated_template(database: Database) -> Database:
    """A migrated copy to start each run from, named by the migrations it has (made once, in a child
    process: migrating takes most of a minute here)."""
    digest = hashlib.sha256()
    for path in sorted(ROOT.glob("*/migrations/*.py")):
        digest.update(path.read_bytes())
    template = Database(database.server, f"{database.name}_tpl_{digest.hexdigest()[:10]}")
    with database.admin() as conn:
        names = [row[0] for row in conn.execute("SELECT datname FROM pg_database").fetchall()]
    if template.name in names:
        return template
    say(f"migrating {template.name} (once for these migrations)")
    template.recreate()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings", "DATABASE_URL": template.owner_url}
    env.pop("REDIS_URL", None)
    subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    with database.admin() as conn:
        for name in names:
            if name.startswith(f"{database.name}_tpl_"):
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
    return template


def main() -> int:
    escalations = int(os.environ.get("DELIVERY_BENCH_ESCALATIONS", "100"))
    concurrency = int(os.environ.get("DELIVERY_BENCH_CONCURRENCY", "2"))
    profile = os.environ.get("DELIVERY_BENCH_PROFILE", "")
    database = Database(
        os.environ.get("DELIVERY_BENCH_PG", "postgres@127.0.0.1:5432"),
        os.environ.get("DELIVERY_BENCH_DATABASE", "watchpost_deliveries"),
    )
    template = migrated_template(database)
    say(f"database {database.name} afresh (from {template.name})")
    with database.admin() as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(database.name)))
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(database.name), sql.Identifier(template.name)
            )
        )
    data_dir = ROOT / "var" / "deliveries"
    data_dir.mkdir(parents=True, exist_ok=True)
    counts_dir = tempfile.mkdtemp(prefix="deliveries-counts-")
    redis_server = RedisServer(free_port(), data_dir)
    smtp_port = free_port()
    env = environment(database.owner_url, redis_server.url, smtp_port, counts_dir)
    os.environ.update(env)
    os.environ["CELERY_QUEUE"] = "deliveries-held"  # the escalations' own tasks go nowhere

    import django

    django.setup()

    from django.db import connection

    from accounts.models import Role
    from dispatch import services as dispatch_services
    from notifications import services
    from notifications.models import Channel, Notification, OutboxMessage, Target
    from notifications.services import outbox
    from portal.celery import app
    from tests.factories import member
    from tests.factories import report as file_report
    from tests.notifications.sinks import HttpSink, SmtpSink
    from tests.world import build_world

    redis_server.start()
    smtp = SmtpSink(port=smtp_port)
    smtp.controller.start()
    sink = HttpSink().start()
    worker: Proc | None = None
    try:
        world = build_world()
        member(Role.LIAISON, world.agency_x)  # a second on-duty liaison, as in the fault run
        people = [Channel.IN_APP, Channel.EMAIL]
        services.save_escalation_policy(
            by=world.admin_x,
            organization=world.agency_x,
            name="Bench",
            site=None,
            steps=[
                services.StepInput(
                    delay_seconds=0, target=Target.ON_DUTY_LIAISONS, channels=people, required_channels=people
                ),
                services.StepInput(delay_seconds=0, target=Target.WEBHOOKS),
            ],
        )
        endpoint = services.create_webhook_endpoint(
            by=world.admin_x, organization=world.agency_x, name="CAD", url=sink.url(), events=["page"]
        )
        sink.secret = endpoint.secret
        say(f"making {escalations} escalations (their deliveries held back)")
        for _ in range(escalations):
            incident = file_report(world.guard_a, world.a1)
            dispatch_services.escalate_incident(incident=incident, by=world.supervisor_a)
        pending = list(
            OutboxMessage.objects.filter(state=OutboxMessage.State.PENDING)
            .order_by("pk")
            .values_list("pk", "channel")
        )
        by_channel = Counter(channel for _, channel in pending)
        say(f"{len(pending)} deliveries waiting: {dict(by_channel)}")
        redis.Redis.from_url(redis_server.url).flushdb()

        worker = Proc(
            "worker",
            [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "tests.bench.delivery_worker",
                "worker",
                "-Q",
                "deliveries",
                "--pool=prefork",
                f"--concurrency={concurrency}",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=INFO",
                "-n",
                f"deliveries-{os.getpid()}@%h",
            ],
            env,
            data_dir,
            "ready.",
        )
        log_offset = worker.log.stat().st_size if worker.log.exists() else 0
        worker.start()
        assert worker.process is not None
        worker_pid = worker.process.pid
        time.sleep(1.0)  # the pool processes' own start is not a delivery's cost
        client = redis.Redis.from_url(redis_server.url)
        own_backend = connection.cursor().connection.info.backend_pid
        backends_sql = "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> %s"

        def backends() -> list[int]:
            with connection.cursor() as cursor:
                cursor.execute(backends_sql, [database.name, own_backend])
                return [row[0] for row in cursor.fetchall()]

        def snapshot() -> dict[str, float]:
            info = client.info("stats")
            pids = backends()
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT sessions, xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s",
                    [database.name],
                )
                sessions, transactions = cursor.fetchone()
            return {
                "sessions": float(sessions),
                "transactions": float(transactions),
                "backends": float(len(pids)),
                "worker": sum(cpu_seconds(pid) for pid in process_tree(worker_pid)),
                "postgres": sum(cpu_seconds(pid) for pid in pids),
                "redis": cpu_seconds(redis_server.proc.process.pid if redis_server.proc.process else 0),
                "redis_commands": float(info["total_commands_processed"]),
            }

        loads: list[float] = []
        sampling = threading.Event()

        def sample_load() -> None:
            while not sampling.wait(1.0):
                loads.append(os.getloadavg()[0])

        before = snapshot()
        spy = None
        if profile:
            spy = subprocess.Popen(
                [
                    str(ROOT / ".venv/bin/py-spy"),
                    "record",
                    "--subprocesses",
                    "--nonblocking",
                    "--format",
                    "raw",
                    "--rate",
                    "200",
                    "--output",
                    profile,
                    "--pid",
                    str(worker_pid),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(1.0)
        threading.Thread(target=sample_load, daemon=True).start()
        load_start = os.getloadavg()[0]
        app.conf.task_default_queue = "deliveries"
        started = time.monotonic()
        outbox.enqueue([pk for pk, _ in pending])
        unfinished = OutboxMessage.objects.exclude(state__in=OutboxMessage.FINAL)
        deadline = started + 900
        while unfinished.exists():
            if time.monotonic() > deadline:
                raise SystemExit(f"not drained in 900 s: {unfinished.count()} left")
            time.sleep(0.1)
        seconds = time.monotonic() - started
        after = snapshot()
        sampling.set()
        if spy is not None:
            spy.send_signal(2)
            spy.wait(60)
        worker.stop()
        wait_for = time.monotonic() + 30
        while len(list(Path(counts_dir).glob("*.json"))) < concurrency and time.monotonic() < wait_for:
            time.sleep(0.2)
        states = Counter(OutboxMessage.objects.values_list("state", flat=True))
        received = {
            Channel.EMAIL: len(smtp.messages),
            Channel.WEBHOOK: len({item.key for item in sink.received}),
            Channel.IN_APP: Notification.objects.count(),
        }
        problems = [
            f"{channel}: {by_channel[channel]} queued, {count} received"
            for channel, count in received.items()
            if count != by_channel[channel]
        ]
        if states.get(OutboxMessage.State.DELIVERED, 0) != len(pending):
            problems.append(f"outbox states {dict(states)}")
        worker_counts: Counter[str] = Counter()
        for path in Path(counts_dir).glob("*.json"):
            worker_counts.update(json.loads(path.read_text()))
        n = len(pending)
        per = {key: after[key] - before[key] for key in before}
        figures: dict[str, Any] = {
            "escalations": escalations,
            "deliveries": n,
            "by_channel": dict(by_channel),
            "pool_processes": concurrency,
            "seconds": round(seconds, 2),
            "deliveries_per_second": round(n / seconds, 1),
            "worker_cpu_ms_per_delivery": round(per["worker"] * 1000 / n, 2),
            "postgres_cpu_ms_per_delivery": round(per["postgres"] * 1000 / n, 2),
            "redis_cpu_ms_per_delivery": round(per["redis"] * 1000 / n, 2),
            "redis_commands_per_delivery": round(per["redis_commands"] / n, 2),
            "database_backends": [before["backends"], after["backends"]],
            "postgres_sessions_per_delivery": round(per["sessions"] / n, 2),
            "postgres_transactions_per_delivery": round(per["transactions"] / n, 2),
            "tasks": worker_counts.get("tasks", 0),
            "sql_per_delivery": round(worker_counts.get("statements", 0) / n, 2),
            "sql_by_verb_per_delivery": {
                key.split(" ", 1)[1]: round(value / n, 2)
                for key, value in sorted(worker_counts.items())
                if key.startswith("sql ")
            },
            "connections_per_delivery": round(worker_counts.get("connections", 0) / n, 2),
            "load_average": {
                "start": round(load_start, 2),
                "mean": round(sum(loads) / len(loads), 2) if loads else None,
                "end": round(os.getloadavg()[0], 2),
            },
            "cores": os.cpu_count(),
            "problems": problems,
        }
        print(json.dumps(figures, indent=2))
        if os.environ.get("DELIVERY_BENCH_JSON"):
            Path(os.environ["DELIVERY_BENCH_JSON"]).write_text(json.dumps(figures, indent=2))
        if profile:
            print("py-spy, share of the worker's samples (in or below / itself):")
            for name, inclusive, itself in top_functions(Path(profile)):
                print(f"  {inclusive:6.1%} {itself:6.1%}  {name}")
        tail = worker.log.read_text(errors="replace")[log_offset:]
        errors = [line for line in tail.splitlines() if "ERROR" in line or "Traceback" in line]
        if errors:
            say(f"worker log has {len(errors)} error lines, e.g. {errors[0][:300]}")
        return 1 if problems else 0
    finally:
        if worker is not None:
            worker.stop()
        sink.stop()
        smtp.controller.stop()
        redis_server.proc.stop()


if __name__ == "__main__":
    sys.exit(main())
