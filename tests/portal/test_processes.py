"""The processes the README and docker-compose.yml start, run for real."""

import json
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest

from tests.processes import (
    ROOT,
    base_environ,
    database_url,
    free_port,
    spawn,
    wait_for_text,
    wait_http,
)


def test_the_embedded_default_serves_the_login_page_over_asgi(tmp_path):
    """No environment but PATH and a data folder: migrate, then daphne serves /accounts/login/."""
    env = {"PATH": base_environ()["PATH"], "DATA_DIR": str(tmp_path)}
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert migrate.returncode == 0, migrate.stderr
    port = free_port()
    log = tmp_path / "daphne.log"
    daphne = [
        sys.executable,
        "-m",
        "daphne",
        "-b",
        "127.0.0.1",
        "-p",
        str(port),
        "portal.asgi:application",
    ]
    with spawn(daphne, env, log) as process:
        assert wait_http(f"http://127.0.0.1:{port}/accounts/login/", process, log) == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/") as response:
            assert b"Sign in" in response.read()
    assert (tmp_path / "db.sqlite3").exists()


def production_env(tmp_path, **extra: str) -> dict[str, str]:
    return base_environ(
        DEBUG="false",
        SECRET_KEY=uuid.uuid4().hex * 2,
        AUDIT_KEY=uuid.uuid4().hex * 2,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=database_url(),
        DATA_DIR=str(tmp_path),
        CELERY_QUEUE=f"test-{uuid.uuid4().hex[:8]}",
        **extra,
    )


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_make_web_serves_healthz_and_make_healthcheck_agrees(tmp_path):
    port = str(free_port())
    env = production_env(tmp_path, HOST="127.0.0.1", PORT=port)
    log = tmp_path / "web.log"
    with spawn(["make", "-s", "web"], env, log) as process:
        assert wait_http(f"http://127.0.0.1:{port}/healthz", process, log, timeout=180) == 200
        check = subprocess.run(
            ["make", "-s", "healthcheck"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert check.returncode == 0, check.stdout + check.stderr
        body = json.loads(check.stdout.strip().splitlines()[-1])
        assert body["checks"]["database"]["backend"] == "postgresql"
        assert body["checks"]["redis"]["ok"] is True


@pytest.mark.postgres
@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_make_worker_consumes_from_redis(tmp_path):
    from portal.celery import app

    env = production_env(tmp_path, WORKER_CONCURRENCY="1")
    log = tmp_path / "worker.log"
    with spawn(["make", "-s", "worker"], env, log) as process:
        wait_for_text(log, "ready.", process, timeout=120)
        queues = app.control.inspect(timeout=5).active_queues() or {}
        consumed = {queue["name"] for worker in queues.values() for queue in worker}
        assert env["CELERY_QUEUE"] in consumed, log.read_text()


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_make_beat_starts_its_scheduler(tmp_path):
    env = production_env(tmp_path, BEAT_SCHEDULE_FILE=str(tmp_path / "schedule"))
    log = tmp_path / "beat.log"
    with spawn(["make", "-s", "beat"], env, log) as process:
        wait_for_text(log, "beat: Starting", process, timeout=120)
        assert process.poll() is None


def _login_attempt(base: str, email: str, headers: dict[str, str]) -> bytes:
    """One failed sign-in, CSRF cookie and token fetched first as a browser does."""
    with urllib.request.urlopen(urllib.request.Request(f"{base}/accounts/login/", headers=headers)) as page:
        cookie = page.headers["Set-Cookie"].split(";")[0]
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.read())
    assert token, "the sign-in page has no CSRF token"
    form = urllib.parse.urlencode(
        {"login": email, "password": "wrong password", "csrfmiddlewaretoken": token[1].decode()}
    )
    request = urllib.request.Request(
        f"{base}/accounts/login/", data=form.encode(), headers={**headers, "Cookie": cookie}, method="POST"
    )
    try:
        with urllib.request.urlopen(request) as response:
            return bytes(response.read())
    except urllib.error.HTTPError as error:
        return bytes(error.read())


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_make_web_believes_no_forwarded_header_from_a_client(tmp_path):
    """Exposed directly (as docker-compose does), a client's X-Forwarded-For neither lifts the
    per-address sign-in lock nor is taken as its address, and its X-Forwarded-Proto does not make
    plain HTTP pass for HTTPS (no HSTS on it)."""
    port = str(free_port())
    env = production_env(tmp_path, HOST="127.0.0.1", PORT=port, SECURE_SSL_REDIRECT="false")
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "web.log"
    with spawn(["make", "-s", "web"], env, log) as process:
        assert wait_http(f"{base}/healthz", process, log, timeout=180) == 200
        # Five failures from one address lock it, whatever the client says it forwards.
        for attempt in range(5):
            spoofed = {"X-Forwarded-For": f"203.0.113.{attempt + 1}"}
            assert b"Too many" not in _login_attempt(base, f"probe{attempt}@example.test", spoofed)
        locked = _login_attempt(base, "probe9@example.test", {"X-Forwarded-For": "198.51.100.77"})
        assert b"Too many failed sign-ins" in locked
        claim = {"X-Forwarded-Proto": "https"}
        with urllib.request.urlopen(urllib.request.Request(f"{base}/healthz", headers=claim)) as response:
            assert response.headers["Strict-Transport-Security"] is None
