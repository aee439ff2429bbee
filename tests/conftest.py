import time
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.core.management.base import CommandError
from django.core.management.commands import flush
from django.db import OperationalError
from django.db.backends.postgresql.operations import DatabaseOperations as PostgresOperations

from portal.celery import app
from tests.services import PROBLEMS, REQUIRED
from tests.world import build_world


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Tests marked postgres/redis/worker/browser use the real service, or skip (fail in CI)."""
    for marker in item.iter_markers():
        check = PROBLEMS.get(marker.name)
        problem = check() if check else None
        if problem is None:
            continue
        if REQUIRED:
            pytest.fail(f"{marker.name} is required in CI, but {problem}", pytrace=False)
        pytest.skip(f"needs {marker.name}: {problem}")


@pytest.fixture(autouse=True)
def _file_roots(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EVIDENCE_ROOT = tmp_path / "evidence"
    settings.EXPORTS_ROOT = tmp_path / "exports"
    settings.EXPORT_SIGNING_KEY = ""
    settings.EXPORT_SIGNING_KEY_FILE = tmp_path / "export-signing-key.pem"
    settings.AUDIT_CHECKPOINT_FILE = tmp_path / "audit-checkpoints.log"


@pytest.fixture(autouse=True, scope="session")
def _flush_past_the_audit_triggers():
    """After each transactional test Django empties the tables with one TRUNCATE, which the audit
    tables refuse on purpose (their triggers). The test database's flush, run as the superuser that
    owns them, switches triggers off for its own transaction only."""
    flush = PostgresOperations.sql_flush

    def sql_flush(self, style, tables, **options):
        statements = flush(self, style, tables, **options)
        return ["SET LOCAL session_replication_role = replica", *statements] if statements else statements

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(PostgresOperations, "sql_flush", sql_flush)
        yield


# PostgreSQL's "deadlock detected" and "lock not available".
LOCK_CONFLICTS = {"40P01", "55P03"}


def lock_conflict(error: BaseException) -> bool:
    """A flush refused because another session's transaction held what it needed: worth a retry."""
    cause = error.__cause__
    return isinstance(cause, OperationalError) and getattr(cause.__cause__, "sqlstate", "") in LOCK_CONFLICTS


@pytest.fixture(autouse=True, scope="session")
def _flush_outlasts_the_servers_last_transaction() -> Iterator[None]:
    """The flush after a transactional test runs while a server or worker process of the test may
    still be committing what the test's last request or job started. PostgreSQL found the two
    deadlocked and cancelled the TRUNCATE (a browser test's setup failed in CI mode: "Database
    test_watchpost couldn't be flushed"). The other transaction then commits, and the flush, tried
    again, empties its rows too (tests/test_flush.py)."""
    handle = flush.Command.handle

    def handle_until_done(self: flush.Command, **options: object) -> None:
        for attempt in range(1, 6):
            try:
                return handle(self, **options)
            except CommandError as error:
                if attempt == 5 or not lock_conflict(error):
                    raise
                time.sleep(0.2 * attempt)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(flush.Command, "handle", handle_until_done)
        yield


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: login rate limits (lockouts) must not leak between tests."""
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Hashing each factory-made password with PBKDF2 would dominate the suite's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def eager():
    """Run tasks in this process for this test, whatever the environment says (REDIS_URL in CI)."""
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


@pytest.fixture
def world(db) -> SimpleNamespace:
    """Two providers (A, B) and two agencies (X, Y): A's sites a1 (X) and a2 (Y), B's site b1 (Y)."""
    return build_world()
