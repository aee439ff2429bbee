from types import SimpleNamespace

import pytest
from django.core.cache import cache

from accounts.models import Role
from tests.factories import AgencyFactory, ProviderFactory, SiteFactory, UserFactory, member
from tests.services import PROBLEMS, REQUIRED


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


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: login rate limits (lockouts) must not leak between tests."""
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Hashing each factory-made password with PBKDF2 would dominate the suite's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db) -> SimpleNamespace:
    """Two providers (A, B) and two agencies (X, Y): A's sites a1 (X) and a2 (Y), B's site b1 (Y)."""
    w = SimpleNamespace()
    w.provider_a, w.provider_b = (
        ProviderFactory(name="Provider A"),
        ProviderFactory(name="Provider B"),
    )
    w.agency_x, w.agency_y = AgencyFactory(name="Agency X"), AgencyFactory(name="Agency Y")
    w.a1 = SiteFactory(provider=w.provider_a, agency=w.agency_x, name="A1")
    w.a2 = SiteFactory(provider=w.provider_a, agency=w.agency_y, name="A2")
    w.b1 = SiteFactory(provider=w.provider_b, agency=w.agency_y, name="B1")
    w.guard_a = member(Role.GUARD, w.provider_a, sites=(w.a1,))
    w.supervisor_a = member(Role.SUPERVISOR, w.provider_a)
    w.admin_a = member(Role.ORG_ADMIN, w.provider_a)
    w.guard_b = member(Role.GUARD, w.provider_b, sites=(w.b1,))
    w.supervisor_b = member(Role.SUPERVISOR, w.provider_b)
    w.admin_b = member(Role.ORG_ADMIN, w.provider_b)
    w.liaison_x = member(Role.LIAISON, w.agency_x)
    w.admin_x = member(Role.ORG_ADMIN, w.agency_x)
    w.liaison_y = member(Role.LIAISON, w.agency_y)
    w.platform = UserFactory(is_staff=True)
    w.nobody = UserFactory()
    return w
