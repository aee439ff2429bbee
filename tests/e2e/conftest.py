"""Browser tests: Debian's Chromium driven by Playwright against a real ASGI server process."""

import os
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import connections

from tests.e2e.helpers import assert_accessible
from tests.processes import (
    ROOT,
    base_environ,
    database_url,
    free_port,
    makefile_variable,
    spawn,
    wait_for_text,
    wait_http,
)
from tests.services import CHROMIUM, browser_problem

# Playwright's sync API runs an event loop in this thread; the ORM calls in tests are safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = ROOT / "test-results"
# The session's portal signs evidence bundles with a key of its own (tests/e2e/test_exports.py).
E2E_SIGNING_KEY = (
    Ed25519PrivateKey.generate()
    .private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    .decode()
)
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1366, "height": 900}}
# The liaison watches the board on a control-room screen (the screens issue: 1920 by 1080).
CONTROL_ROOM = {"viewport": {"width": 1920, "height": 1080}}
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(pytest.mark.browser)


@pytest.fixture(autouse=True)
def _fast_password_hashing() -> None:
    """Passwords are checked by the server process, which hashes as production does."""


@pytest.fixture(scope="session")
def migrated_contents(django_db_setup) -> dict[str, str]:
    """What the migrations put in the test database (categories…), as Django serialized it then.

    Django keeps it on the connection objects of the context that made the database; Playwright's
    sync API runs the tests in another context, whose connection objects are new. So it is taken
    here, before the browser starts, and handed to each test's connections by ``portal``."""
    return {
        db.alias: db._test_serialized_contents
        for db in connections.all()
        if hasattr(db, "_test_serialized_contents")
    }


@pytest.fixture(scope="session")
def browser(migrated_contents) -> Iterator[object]:
    if browser_problem():
        pytest.skip(browser_problem() or "")  # the browser marker fails it in CI first
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="session")
def server(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[str]:
    """A uvicorn process (as `make web` starts it) serving the portal on the test database, for the
    whole session; with Redis (CI), a real Celery worker (`make worker`) on a queue of the session's
    own runs its jobs."""
    folder = tmp_path_factory.mktemp("server")
    with django_db_blocker.unblock():
        env = base_environ(
            DATABASE_URL=database_url(),
            DATA_DIR=str(folder),
            CELERY_QUEUE=f"e2e-{uuid.uuid4().hex[:8]}",
            WORKER_CONCURRENCY="2",
            # The deployment's bundle-signing key, as a secret store would hand it over.
            EXPORT_SIGNING_KEY=E2E_SIGNING_KEY,
        )
    port = free_port()
    log = folder / "uvicorn.log"
    # The production server with the Makefile's flags (make web).
    flags = makefile_variable("UVICORN_FLAGS").split()
    args = [str(ROOT / ".venv/bin/python"), "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port)]
    args += flags
    with ExitStack() as stack:
        if env.get("REDIS_URL"):
            # What a test's own process publishes (a service called off the browser thread) goes to
            # the session's worker too, as the server's does; on the default queue nothing runs it.
            from portal.celery import app as celery_app

            stack.callback(setattr, celery_app.conf, "task_default_queue", celery_app.conf.task_default_queue)
            celery_app.conf.task_default_queue = env["CELERY_QUEUE"]
            worker_log = folder / "worker.log"
            worker = stack.enter_context(spawn(["make", "-s", "worker"], env, worker_log))
            wait_for_text(worker_log, "ready.", worker, timeout=120)
        process = stack.enter_context(spawn([*args, "portal.asgi:application"], env, log))
        wait_http(f"http://127.0.0.1:{port}/healthz", process, log)
        yield f"http://127.0.0.1:{port}"


@pytest.fixture
def _migrated_data(migrated_contents: dict[str, str]) -> None:
    for alias, contents in migrated_contents.items():
        connections[alias]._test_serialized_contents = contents  # type: ignore[attr-defined]


@pytest.fixture
def portal(_migrated_data, django_db_serialized_rollback, transactional_db, server: str) -> str:
    """The live portal's base URL; rows a test writes are committed, so the server sees them.
    Each test starts from the migrated database (categories included), not from an empty one."""
    return server


@pytest.fixture
def screenshot(request: pytest.FixtureRequest):
    """Save a page's screenshot under test-results/ (docs/screenshots/ holds the committed set)."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        if page.viewport_size["width"] < DESKTOP["viewport"]["width"]:
            # A phone: the screen as the guard sees it where the test left it, panic button included.
            page.screenshot(path=str(path))
        else:
            page.evaluate("() => window.scrollTo(0, 0)")
            page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def look(screenshot):
    """Look at a page: no serious accessibility problem (axe-core), and its screenshot if named."""

    def check(page, what: str, shot: str | None = None) -> None:
        assert_accessible(page, what)
        if shot:
            screenshot(page, shot)

    return check
