from types import SimpleNamespace

import pytest
from django.core.cache import cache
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
