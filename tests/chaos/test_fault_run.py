"""The CI version of the fault run (`make chaos` runs 1,000): 100 escalations through the API of two
real uvicorn processes (started as `make web` starts them), two Celery workers and beat, with every
fault kind injected (worker and web SIGKILLs, its own redis-server killed and started empty,
PostgreSQL refusing the application's connections, board sockets cut, a webhook receiver slower
than its timeout). It fails on any loss, undeclared duplicate, notification after acceptance, board
that missed, repeated or reordered an event, or process that exited by itself (but for the one
known worker exit, counted and listed: docs/RELIABILITY.md, "Open"). The run makes its
own database on the PostgreSQL of DATABASE_URL and its own Redis."""

import json
import os
import shutil
import subprocess
import sys
import time

import pytest
from django.db import connection

from tests.chaos.run import FAULT_KINDS
from tests.processes import ROOT, free_port
from tests.services import REQUIRED

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.worker]


def test_the_fault_run_loses_nothing_and_duplicates_only_what_the_receiver_drops(tmp_path):
    if not shutil.which("redis-server"):
        message = "the fault run starts a redis-server of its own: apt-get install redis-server"
        if REQUIRED:
            pytest.fail(message)
        pytest.skip(message)
    settings = connection.settings_dict
    out = tmp_path / "figures.json"
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    env.update(
        CHAOS_N=os.environ.get("CHAOS_CI_N", "100"),
        CHAOS_DOC="0",
        CHAOS_JSON=str(out),
        CHAOS_PG=f"{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}",
        CHAOS_DATABASE=os.environ.get("CHAOS_CI_DATABASE", f"{settings['NAME']}_chaos"),
        CHAOS_REDIS_PORT=str(free_port()),
        CHAOS_DATA_DIR=str(tmp_path / "run"),
        CHAOS_SETTLE="120",
    )
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "tests.chaos"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    seconds = time.monotonic() - started
    assert out.exists(), result.stdout[-5000:] + result.stderr[-5000:]
    figures = json.loads(out.read_text())
    deliveries = figures["deliveries"]
    assert figures["problems"] == [], result.stdout[-5000:]
    assert result.returncode == 0
    assert deliveries["lost"] == 0
    assert deliveries["undeclared_duplicates"] == 0
    assert deliveries["seen"] == deliveries["expected"] > 0
    assert set(figures["faults"]) == set(FAULT_KINDS), figures["faults"]
    assert figures["escalations_acknowledged"] >= 90
    assert figures["escalations_committed"] >= figures["escalations_acknowledged"]
    assert figures["boards_checked"] == 100
    assert figures["board_reconnects"] > 0
    assert figures["unexpected_exits"] == {}, figures["unexpected_exits"]  # no process exited by itself
    assert seconds < 300, f"the CI fault run took {seconds:.0f}s"
