import pytest

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
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Hashing each factory-made password with PBKDF2 would dominate the suite's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
