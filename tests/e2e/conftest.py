"""Browser tests: Debian's Chromium driven by Playwright against a real ASGI server process."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.processes import ROOT, base_environ, database_url, free_port, spawn, wait_http
from tests.services import CHROMIUM, browser_problem

# Playwright's sync API runs an event loop in this thread; the ORM calls in tests are safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = ROOT / "test-results"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1366, "height": 900}}
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
def browser() -> Iterator[object]:
    if browser_problem():
        pytest.skip(browser_problem() or "")  # the browser marker fails it in CI first
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="session")
def server(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[str]:
    """A daphne process serving the portal on the test database, for the whole session."""
    folder = tmp_path_factory.mktemp("server")
    with django_db_blocker.unblock():
        env = base_environ(DATABASE_URL=database_url(), DATA_DIR=str(folder))
    port = free_port()
    log = folder / "daphne.log"
    args = [str(ROOT / ".venv/bin/python"), "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)]
    with spawn([*args, "portal.asgi:application"], env, log) as process:
        wait_http(f"http://127.0.0.1:{port}/healthz", process, log)
        yield f"http://127.0.0.1:{port}"


@pytest.fixture
def portal(transactional_db, server: str) -> str:
    """The live portal's base URL; rows a test writes are committed, so the server sees them."""
    return server


@pytest.fixture
def screenshot(request: pytest.FixtureRequest):
    """Save a page's screenshot under test-results/ (docs/screenshots/ holds the committed set)."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
