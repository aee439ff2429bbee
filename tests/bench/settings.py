"""The portal's settings, plus a trivial JSON view (the baseline of the creation benchmark)."""

from portal.settings import *  # noqa: F403
from portal.settings import STORAGES

ROOT_URLCONF = "tests.bench.urls"
# Pages are rendered without collectstatic: static URLs are not what the bench measures.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
