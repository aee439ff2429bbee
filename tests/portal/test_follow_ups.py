"""The follow-up table (portal/celery.py FOLLOW_UPS): every name in it exists, and
docs/architecture.md lists exactly what it declares."""

import re

from django.utils.module_loading import import_string

from portal.celery import FOLLOW_UPS, app
from tests.processes import ROOT


def test_every_follow_up_task_is_registered_and_every_handler_imports():
    app.loader.import_default_modules()
    for name, follow_ups in FOLLOW_UPS.items():
        for task in follow_ups.tasks:
            assert task in app.tasks, f"{name}: no Celery task named {task}"
        for path in follow_ups.in_transaction:
            assert callable(import_string(path)), f"{name}: {path} is not a function"


def test_the_architecture_page_lists_the_table():
    documented: dict[str, set[str]] = {}
    text = (ROOT / "docs/architecture.md").read_text()
    for event, cell in re.findall(r"^\| `([a-z_.]+)` \| [^|]+ \| (.+) \|$", text, flags=re.MULTILINE):
        documented[event] = set(re.findall(r"`([a-zA-Z_.]+)`", cell))
    declared = {
        name: set(follow_ups.tasks) | set(follow_ups.in_transaction)
        for name, follow_ups in FOLLOW_UPS.items()
    }
    assert documented == declared
