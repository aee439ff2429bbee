"""The fault run's own services: a PostgreSQL database (and its application role) on the machine's
server, a redis-server of its own, two ASGI web processes, two Celery workers and beat. Every one
of them can be killed and started again; none is the machine's or another test's."""

import contextlib
import os
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import redis
from psycopg import sql

from tests.processes import ROOT

PYTHON = str(ROOT / ".venv/bin/python")


@dataclass
class Proc:
    """One restartable process (in its own process group, so a kill takes its children too)."""

    name: str
    args: list[str]
    env: dict[str, str]
    log_dir: Path
    ready: str = ""  # a line of its log that says it is ready
    url: str = ""  # or a URL that answers once it is
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    # Held by whoever kills or starts it (a fault, or the supervisor restarting it after an exit).
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    exits: list[str] = field(default_factory=list)  # exits nobody caused: when, code, last log line

    @property
    def log(self) -> Path:
        return self.log_dir / f"{self.name}.log"

    def start(self, timeout: float = 120) -> None:
        self.wait_ready(self.launch(), timeout)

    def launch(self) -> int:
        """Start it without waiting; returns where its log stood (for ``wait_ready``)."""
        self.starts += 1
        offset = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.args,
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return offset

    def wait_ready(self, offset: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        assert self.process is not None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited {self.process.returncode}:\n{self.tail()}")
            if self.ready and self.ready in self.log.read_bytes()[offset:].decode(errors="replace"):
                return
            if self.url:
                try:
                    with urllib.request.urlopen(self.url, timeout=2):
                        return
                except urllib.error.HTTPError:
                    return
                except OSError:
                    pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready in {timeout}s:\n{self.tail()}")

    def kill(self) -> None:
        """SIGKILL the whole process group: no shutdown, no cleanup, as a crash or the OOM killer."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(30)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.kill()
        except ProcessLookupError:
            pass

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


class Supervisor:
    """Starts again a process that exited by itself, as production's restart policy does
    (docker-compose.yml: restart: unless-stopped), and keeps each exit in ``Proc.exits``: the run
    reports them, since the product's processes are not meant to exit under these faults."""

    def __init__(self, procs: list[Proc], *, delay: float = 1.0) -> None:
        self.procs, self.delay = procs, delay
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._watch, name="supervisor", daemon=True)

    def __enter__(self) -> "Supervisor":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join(30)

    def _watch(self) -> None:
        while not self.stopped.wait(0.5):
            for proc in self.procs:
                if not proc.lock.acquire(blocking=False):
                    continue  # a fault is killing or starting it
                try:
                    if proc.process is None or proc.process.poll() is None or self.stopped.is_set():
                        continue
                    last = [line for line in proc.tail().splitlines() if line.strip()][-1:]
                    proc.exits.append(f"{time.strftime('%H:%M:%S')} exit {proc.process.returncode}: {last}")
                    time.sleep(self.delay)
                    try:
                        proc.start()
                    except RuntimeError as error:
                        proc.exits.append(f"not started again: {str(error)[:200]}")
                finally:
                    proc.lock.release()


@dataclass
class RedisServer:
    """A redis-server on a port of the run's own, with nothing on disk (a restart loses everything)."""

    port: int
    log_dir: Path
    proc: Proc = field(init=False)

    def __post_init__(self) -> None:
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        args += ["--appendonly", "no", "--protected-mode", "no"]
        self.proc = Proc(
            f"redis-{self.port}", args, {"PATH": os.environ["PATH"]}, self.log_dir, "Ready to accept"
        )

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc.start(timeout=30)
        redis.Redis.from_url(self.url).ping()

    def kill(self) -> None:
        self.proc.kill()


@dataclass
class Database:
    """The run's PostgreSQL database, made afresh, and the role the processes connect as (it owns
    nothing, so CONNECT can be revoked from it while the run's owner keeps its own connection)."""

    server: str  # user@host:port of a superuser
    name: str

    @property
    def role(self) -> str:
        return f"{self.name}_app"

    @property
    def owner_url(self) -> str:
        return f"postgres://{self.server}/{self.name}"

    @property
    def app_url(self) -> str:
        host = self.server.split("@", 1)[1]
        return f"postgres://{self.role}:{self.role}@{host}/{self.name}"

    def admin(self) -> psycopg.Connection:
        user, host = self.server.split("@", 1)
        hostname, _, port = host.partition(":")
        return psycopg.connect(
            host=hostname, port=int(port or 5432), user=user, dbname="postgres", autocommit=True
        )

    def recreate(self) -> None:
        with self.admin() as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [self.name],
            )
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(self.name)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))

    def refuse(self) -> int:
        """The application's role may not connect, and its connections are cut. Returns how many."""
        db, role = sql.Identifier(self.name), sql.Identifier(self.role)
        with self.admin() as conn:
            conn.execute(sql.SQL("REVOKE CONNECT ON DATABASE {} FROM PUBLIC, {}").format(db, role))
            cut = conn.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = %s AND usename = %s",
                [self.name, self.role],
            ).fetchone()
        return int(cut[0]) if cut else 0

    def accept(self) -> None:
        db, role = sql.Identifier(self.name), sql.Identifier(self.role)
        with self.admin() as conn:
            conn.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(db, role))
