"""The fault run (docs/RELIABILITY.md): operations through the API while faults are injected, then a
checker that compares the database's committed history with what every sink and board received.

Everything runs against services of the run's own: a fresh PostgreSQL database, a redis-server on
its own port, two uvicorn processes started with the Makefile's UVICORN_FLAGS as `make web` starts
them (CHAOS_SERVER=daphne: daphne), two Celery workers and beat, an SMTP server (aiosmtpd) and a
webhook receiver in this process, and the liaisons' boards in a child process. Configuration comes
from the environment (``Config.from_environment``)."""

import asyncio
import os
import random
import sys
import time
import uuid
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from tests.bench.common import SERVERS, raise_open_files, server_command
from tests.chaos.boards import BoardClients
from tests.chaos.cluster import PYTHON, Database, Proc, RedisServer, Supervisor
from tests.processes import ROOT, free_port

SECRET = "chaos-only-secret-key-not-used-anywhere-else-0123456789abcdef"
AUDIT = "chaos-only-audit-key-not-used-anywhere-else-0123456789abcdef"
FAULT_KINDS = ("worker_kill", "web_kill", "redis_restart", "postgres_refuse", "board_drop", "webhook_slow")
WEBHOOK_TIMEOUT = 2
_STARTED = time.monotonic()


def say(message: str) -> None:
    elapsed = int(time.monotonic() - _STARTED)
    print(f"[chaos {elapsed // 60:02d}:{elapsed % 60:02d}] {message}", flush=True)


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit():
        sys.exit(f"{name}: a whole number, got {value!r}")
    return int(value)


@dataclass(frozen=True)
class Config:
    escalations: int
    boards: int
    panics: int
    interval: float  # seconds between the starts of two escalations
    ladder_delay: int  # seconds before the agencies' admins are paged (the ladder's last step)
    fault_every: tuple[float, float]
    database: str
    pg: str
    redis_port: int
    web_ports: tuple[int, int]
    smtp_port: int
    hook_port: int
    seed: int
    concurrency: int  # reports being filed and escalated at once (the rest wait their turn)
    settle_seconds: float
    data_dir: Path
    fault_kinds: tuple[str, ...] = FAULT_KINDS  # CHAOS_FAULTS=a,b: only these (to diagnose one kind)
    server: str = "uvicorn"  # the ASGI server production runs (the Makefile's UVICORN_FLAGS)

    @classmethod
    def from_environment(cls) -> "Config":
        n = _int("CHAOS_N", 1000)
        small = n <= 200
        base = _int("CHAOS_PORT", 0)
        return cls(
            escalations=n,
            boards=_int("CHAOS_BOARDS", 100 if small else 1000),
            panics=max(2, n // 25),
            interval=float(os.environ.get("CHAOS_INTERVAL", "0.4" if small else "0.25")),
            ladder_delay=10 if small else 20,
            fault_every=(2.0, 5.0) if small else (3.0, 8.0),
            database=os.environ.get("CHAOS_DATABASE", "watchpost_chaos"),
            pg=os.environ.get("CHAOS_PG", "postgres@127.0.0.1:5432"),
            redis_port=_int("CHAOS_REDIS_PORT", 0) or free_port(),
            web_ports=(base, base + 1) if base else (free_port(), free_port()),
            smtp_port=_int("CHAOS_SMTP_PORT", 0) or free_port(),
            hook_port=_int("CHAOS_HOOK_PORT", 0) or free_port(),
            seed=_int("CHAOS_SEED", int(time.time())),
            concurrency=_int("CHAOS_CONCURRENCY", 16),
            settle_seconds=float(os.environ.get("CHAOS_SETTLE", "240")),
            data_dir=Path(os.environ.get("CHAOS_DATA_DIR", str(ROOT / "var" / f"chaos-{os.getpid()}"))),
            fault_kinds=_fault_kinds(os.environ.get("CHAOS_FAULTS", "")),
            server=_server(os.environ.get("CHAOS_SERVER", "uvicorn")),
        )


def _server(value: str) -> str:
    if value not in SERVERS:
        sys.exit(f"CHAOS_SERVER: one of {', '.join(SERVERS)}, got {value!r}")
    return value


def _fault_kinds(value: str) -> tuple[str, ...]:
    kinds = tuple(kind.strip() for kind in value.split(",") if kind.strip())
    unknown = [kind for kind in kinds if kind not in FAULT_KINDS]
    if unknown:
        sys.exit(f"CHAOS_FAULTS: unknown fault kinds {unknown}; the kinds are {', '.join(FAULT_KINDS)}")
    return kinds or FAULT_KINDS


def process_environment(config: Config, database_url: str, redis_url: str | None) -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TZ")
    env = {key: os.environ[key] for key in keep if key in os.environ}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DATABASE_URL=database_url,
        DATA_DIR=str(config.data_dir),
        DEBUG="false",
        SECRET_KEY=SECRET,
        AUDIT_KEY=AUDIT,
        SECURE_SSL_REDIRECT="false",
        LOG_LEVEL="WARNING",
        CELERY_QUEUE="chaos",
        PYTHONUNBUFFERED="1",
        PUBLIC_URL=f"http://127.0.0.1:{config.web_ports[0]}",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(config.smtp_port),
        EMAIL_USE_TLS="false",
        EMAIL_TIMEOUT="3",
        WEBHOOK_TIMEOUT=str(WEBHOOK_TIMEOUT),
        NOTIFY_LEASE_SECONDS="6",
        WEBHOOK_ALLOW_PRIVATE_NETWORKS="true",
        WEBHOOK_REQUIRE_HTTPS="false",
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


# ---------------------------------------------------------------------------------------------
# Operations through the API


@dataclass
class Ledger:
    """What the clients did and were told: the acknowledged writes the checker holds the database to."""

    acknowledged: dict[str, str] = field(default_factory=dict)  # escalation id -> agency label
    accepted: dict[str, float] = field(default_factory=dict)  # escalation id -> when 200 came back
    double_accepts: list[tuple[str, list[int]]] = field(default_factory=list)
    panics: list[str] = field(default_factory=list)  # incident ids of panics answered 201
    messages: int = 0
    counts: Counter[str] = field(default_factory=Counter)  # operations by kind and outcome
    gave_up: Counter[str] = field(default_factory=Counter)


class Api:
    """Requests to either web process, retried through faults the way a careful client would: the
    same idempotency key, and a write whose answer was lost is not taken as done or as failed."""

    def __init__(self, session: aiohttp.ClientSession, ports: tuple[int, int], ledger: Ledger) -> None:
        self.session, self.ports, self.ledger = session, ports, ledger

    async def call(self, kind: str, token: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        """POST until an answer that is not a fault's (5xx, a cut connection); (0, None) after 90 s."""
        deadline = time.monotonic() + 90
        tries = 0
        while time.monotonic() < deadline:
            tries += 1
            port = random.choice(self.ports)
            try:
                async with self.session.post(
                    f"http://127.0.0.1:{port}{path}",
                    json=body,
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=aiohttp.ClientTimeout(total=15),
                ) as response:
                    data = await response.json(content_type=None)
                    if response.status < 500:
                        self.ledger.counts[f"{kind} {response.status}"] += 1
                        if tries > 1:
                            self.ledger.counts[f"{kind} retried"] += 1
                        return response.status, data
            except (TimeoutError, aiohttp.ClientError, OSError, ValueError):
                pass
            await asyncio.sleep(random.uniform(0.3, 1.5))
        self.ledger.gave_up[kind] += 1
        return 0, None


@dataclass(frozen=True)
class Actors:
    """API tokens of the run's people (made in the database before the processes start)."""

    guard_a: str
    guard_b: str
    supervisor_a: str
    supervisor_b: str
    liaisons: dict[str, list[str]]  # agency label -> liaison tokens
    site_a1: int
    site_b1: int


async def one_escalation(
    api: Api, actors: Actors, config: Config, index: int, slots: asyncio.Semaphore
) -> None:
    """File a report and escalate it (holding one of the slots: a loaded server is not flooded),
    then perhaps post a message and accept it."""
    async with slots:
        escalation_id, agency, supervisor = await _report_and_escalate(api, actors, index)
    if escalation_id:
        await _follow_up(api, actors, config, index, escalation_id, agency, supervisor)


async def _report_and_escalate(api: Api, actors: Actors, index: int) -> tuple[str, str, str]:
    on_x = index % 3 != 2  # two of three at provider A's site a1 (agency X), one at B's b1 (agency Y)
    guard, supervisor, site, agency = (
        (actors.guard_a, actors.supervisor_a, actors.site_a1, "X")
        if on_x
        else (actors.guard_b, actors.supervisor_b, actors.site_b1, "Y")
    )
    report = {
        "idempotency_key": str(uuid.uuid4()),
        "site": site,
        "category": "theft",
        "severity": 3,
        "narrative": f"Fault run report {index}: two jackets taken from the rack by the entrance.",
    }
    status, incident = await api.call("report", guard, "/api/v1/incidents/", report)
    if status not in (200, 201):  # 200: a retry that found the report its first try filed
        return "", agency, supervisor
    status, escalation = await api.call(
        "escalate", supervisor, "/api/v1/escalations/", {"incident": incident["id"], "reason": "Chaos"}
    )
    if status != 201:
        return "", agency, supervisor
    api.ledger.acknowledged[escalation["id"]] = agency
    return escalation["id"], agency, supervisor


async def _follow_up(
    api: Api, actors: Actors, config: Config, index: int, escalation_id: str, agency: str, supervisor: str
) -> None:
    roll = random.random()
    if roll < 0.2:
        await asyncio.sleep(random.uniform(0.2, 3))
        status, _ = await api.call(
            "message",
            supervisor,
            f"/api/v1/escalations/{escalation_id}/messages/",
            {"text": f"Guard on the scene, report {index}."},
        )
        api.ledger.messages += status == 201
    if roll < 0.6:
        # Half accepted before the ladder's last step is due, half well after it (checker.LADDER_SLACK).
        delay = config.ladder_delay
        early = random.random() < 0.5
        await asyncio.sleep(
            random.uniform(0.5, 0.7 * delay) if early else random.uniform(delay + 9, 2 * delay + 9)
        )
        path = f"/api/v1/escalations/{escalation_id}/steps/accept/"
        liaisons = actors.liaisons[agency]
        if roll < 0.1 and len(liaisons) > 1:
            # Two liaisons accept at the same moment: one wins, the other is refused.
            answers = await asyncio.gather(*(api.call("accept", token, path, {}) for token in liaisons[:2]))
            api.ledger.double_accepts.append((escalation_id, [code for code, _ in answers]))
            if any(code == 200 for code, _ in answers):
                api.ledger.accepted[escalation_id] = time.time()
        else:
            status, _ = await api.call("accept", random.choice(liaisons), path, {})
            if status == 200:
                api.ledger.accepted[escalation_id] = time.time()


async def one_panic(api: Api, actors: Actors, index: int) -> None:
    guard = actors.guard_a if index % 2 == 0 else actors.guard_b
    status, body = await api.call("panic", guard, "/api/v1/panic/", {"idempotency_key": str(uuid.uuid4())})
    if status == 201:
        api.ledger.panics.append(body["incident"])
        if body.get("escalation"):
            api.ledger.acknowledged[body["escalation"]["id"]] = "X" if index % 2 == 0 else "Y"


async def operations(api: Api, actors: Actors, config: Config) -> None:
    tasks = []
    slots = asyncio.Semaphore(config.concurrency)
    panic_at = set(random.sample(range(config.escalations), min(config.panics, config.escalations)))
    for index in range(config.escalations):
        tasks.append(asyncio.create_task(one_escalation(api, actors, config, index, slots)))
        if index in panic_at:
            tasks.append(asyncio.create_task(one_panic(api, actors, index)))
        if index % 100 == 99:
            say(f"{index + 1} escalations started; {len(api.ledger.acknowledged)} acknowledged")
        await asyncio.sleep(config.interval)
    await asyncio.gather(*tasks)


# ---------------------------------------------------------------------------------------------
# Faults


@dataclass
class Faults:
    config: Config
    webs: list[Proc]
    workers: list[Proc]
    beat: Proc
    redis: RedisServer
    database: Database
    boards: BoardClients
    sink: Any
    done: asyncio.Event = field(default_factory=asyncio.Event)
    injected: Counter[str] = field(default_factory=Counter)
    log: list[tuple[float, str, str, float]] = field(default_factory=list)

    async def run(self) -> None:
        """Inject faults at random intervals until the operations are done and every kind has been
        injected at least once."""
        kinds: list[str] = []
        every = set(self.config.fault_kinds)
        while not (self.done.is_set() and set(self.injected) == every):
            await asyncio.sleep(random.uniform(*self.config.fault_every))
            if self.done.is_set() and set(self.injected) == every:
                return
            if not kinds:
                kinds = random.sample(self.config.fault_kinds, len(every))  # every kind in each round
            kind = kinds.pop()
            started, started_wall = time.monotonic(), time.time()
            detail = await asyncio.to_thread(getattr(self, kind))
            self.injected[kind] += 1
            self.log.append((round(time.monotonic() - _STARTED, 1), kind, detail, round(started_wall, 1)))
            say(f"fault {kind}: {detail} ({time.monotonic() - started:.1f}s)")

    def worker_kill(self) -> str:
        worker = random.choice(self.workers)
        with worker.lock:
            worker.kill()
            time.sleep(random.uniform(0.5, 2))
            worker.start()
        return f"SIGKILL {worker.name}, started again"

    def web_kill(self) -> str:
        web = random.choice(self.webs)
        with web.lock:
            web.kill()
            time.sleep(random.uniform(0.5, 2))
            web.start()
        return f"SIGKILL {web.name}, started again"

    def redis_restart(self) -> str:
        self.redis.kill()
        down = random.uniform(2, 4)
        time.sleep(down)
        self.redis.start()
        return f"redis-server killed, down {down:.1f}s, started empty"

    def postgres_refuse(self) -> str:
        cut = self.database.refuse()
        down = random.uniform(2, 4)
        time.sleep(down)
        self.database.accept()
        return f"CONNECT revoked, {cut} backends terminated, refused {down:.1f}s"

    def board_drop(self) -> str:
        dropped = self.boards.ask("drop", 0.3)["dropped"]
        return f"{dropped} board sockets cut"

    def webhook_slow(self) -> str:
        self.sink.delay = WEBHOOK_TIMEOUT + 1.5
        slow = random.uniform(3, 6)
        time.sleep(slow)
        self.sink.delay = 0.0
        return f"webhook receiver answered after {WEBHOOK_TIMEOUT + 1.5}s for {slow:.1f}s"


# ---------------------------------------------------------------------------------------------
# The run


def setup_django(config: Config, database: Database) -> None:
    os.environ.update(process_environment(config, database.owner_url, None))
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()


def run(config: Config) -> dict[str, Any]:
    """The whole fault run; returns the figures (the checker's verdict under "verdict")."""
    random.seed(config.seed)
    raise_open_files()  # a thousand boards: the clients' and the servers' sockets (children inherit it)
    config.data_dir.mkdir(parents=True, exist_ok=True)
    database = Database(config.pg, config.database)
    say(f"database {config.database} afresh; seed {config.seed}")
    database.recreate()
    setup_django(config, database)
    # Imported here: these need Django set up on the run's own database first.
    from django.core.management import call_command

    from tests.chaos import checker, world
    from tests.notifications.sinks import HttpSink, SmtpSink

    call_command("migrate", "--noinput", verbosity=0)
    os.environ["APP_DATABASE_URL"] = database.app_url
    call_command("create_app_role", verbosity=0)
    database.accept()

    smtp = SmtpSink(port=config.smtp_port)
    sink = HttpSink(port=config.hook_port).start()
    smtp.controller.start()
    cast = world.build(config, hook_url=sink.url())
    sink.secret = cast.webhook_secret
    redis_server = RedisServer(config.redis_port, config.data_dir)
    env = process_environment(config, database.app_url, redis_server.url)
    webs = [
        Proc(
            f"web-{port}",
            server_command(config.server, port),
            env,
            config.data_dir,
            url=f"http://127.0.0.1:{port}/healthz",
        )
        for port in config.web_ports
    ]
    worker_args = [PYTHON, "-m", "celery", "-A", "portal", "worker", "-Q", "chaos", "--pool=prefork"]
    worker_args += ["--concurrency=2", "--without-gossip", "--without-mingle", "--loglevel=INFO"]
    workers = [
        Proc(
            f"worker-{i}",
            [*worker_args, "-n", f"chaos{i}-{config.database}@%h"],
            env,
            config.data_dir,
            "ready.",
        )
        for i in (1, 2)
    ]
    schedule = str(config.data_dir / "celerybeat-schedule")
    beat = Proc(
        "beat",
        [PYTHON, "-m", "celery", "-A", "portal", "beat", "--loglevel=INFO", "--schedule", schedule],
        env,
        config.data_dir,
        "beat: Starting",
    )
    figures: dict[str, Any] = {}
    with ExitStack() as stack:
        stack.callback(smtp.controller.stop)
        stack.callback(sink.stop)
        redis_server.start()
        stack.callback(redis_server.proc.stop)
        processes = [*webs, *workers, beat]
        offsets = [proc.launch() for proc in processes]  # all at once: each takes seconds to start
        for proc in processes:
            stack.callback(proc.stop)
        for proc, offset in zip(processes, offsets, strict=True):
            proc.wait_ready(offset, 180)
        say(f"redis-server, 2 {config.server} web processes, 2 workers and beat are up")
        stack.enter_context(Supervisor(processes))
        urls = [f"ws://127.0.0.1:{port}/ws/board/" for port in config.web_ports]
        origins = {url: f"http://127.0.0.1:{port}" for url, port in zip(urls, config.web_ports, strict=False)}
        specs = [
            {"agency": agency, "cookie": cookie, "urls": urls, "origin_of": origins}
            for agency, cookie in cast.board_cookies(config.boards)
        ]
        boards = stack.enter_context(BoardClients(specs))
        opened = boards.wait_open(len(specs), 120)
        say(f"{opened} of {len(specs)} boards connected")
        faults = Faults(config, webs, workers, beat, redis_server, database, boards, sink)
        ledger = Ledger()
        started = time.monotonic()

        async def main() -> None:
            async with aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=64, force_close=True)
            ) as session:
                injector = asyncio.create_task(faults.run())
                await operations(Api(session, config.web_ports, ledger), cast.actors, config)
                faults.done.set()
                await injector

        asyncio.run(main())
        figures["operations_seconds"] = round(time.monotonic() - started, 1)
        say(f"operations done in {figures['operations_seconds']}s; faults {dict(faults.injected)}")
        settled = checker.settle(boards, config.settle_seconds, say, cast)
        figures["settle_seconds"] = settled
        final = boards.ask("close", timeout=120)
        figures.update(
            checker.check(
                ledger=ledger,
                boards=final["boards"],
                smtp=smtp,
                sink=sink,
                cast=cast,
                config=config,
            )
        )
        figures["faults"] = dict(faults.injected)
        figures["fault_log"] = faults.log
        figures["restarts"] = {proc.name: proc.starts - 1 for proc in [*webs, *workers, beat]}
        figures["unexpected_exits"] = {proc.name: proc.exits for proc in processes if proc.exits}
        if figures["unexpected_exits"]:
            figures["problems"].append(f"processes exited by themselves: {figures['unexpected_exits']}")
            figures["verdict"] = "fail"
    figures["seed"] = config.seed
    figures["escalations_asked"] = config.escalations
    figures["boards"] = config.boards
    figures["total_seconds"] = round(time.monotonic() - _STARTED, 1)
    return figures
