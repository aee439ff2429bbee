"""The flush between transactional tests outlasts another process's transaction (tests/conftest.py):
a server or worker committing while Django's TRUNCATE of every table runs deadlocked with it in CI
mode, and the next browser test's setup failed."""

import threading
import time

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.color import no_style
from django.core.management.sql import sql_flush
from django.db import connection

from accounts.models import User

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def truncated_tables() -> list[str]:
    """The tables of the flush's TRUNCATE, in the order it locks them."""
    statements = sql_flush(no_style(), connection, reset_sequences=True, allow_cascade=False)
    truncate = next(statement for statement in statements if statement.startswith("TRUNCATE"))
    names = truncate.removeprefix("TRUNCATE").split(" RESTART IDENTITY")[0].rstrip(";")
    return [name.strip().strip('"') for name in names.split(",")]


def test_a_flush_deadlocked_with_another_sessions_transaction_tries_again_and_empties_the_database(world):
    assert User.objects.exists()
    first, *_, last = truncated_tables()
    params = connection.settings_dict
    where = {
        "dbname": params["NAME"],
        "host": params["HOST"],
        "port": params["PORT"] or None,
        "user": params["USER"],
        "password": params["PASSWORD"] or None,
    }
    other = psycopg.connect(**where)
    watcher = psycopg.connect(**where, autocommit=True)
    waited: list[str] = []

    def truncate_waits() -> bool:
        return bool(
            watcher.execute(
                "SELECT 1 FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND query LIKE 'TRUNCATE%%'"
            ).fetchone()
        )

    def holds_the_last_then_wants_the_first() -> None:
        # As a committing request does: it holds a lock on one table and needs another at COMMIT.
        other.execute(f'LOCK TABLE "{last}" IN ROW SHARE MODE')
        started.set()
        deadline = time.monotonic() + 10
        while not truncate_waits() and time.monotonic() < deadline:
            time.sleep(0.02)  # until the flush's TRUNCATE holds the first table and waits for the last
        waited.append("the flush waited" if truncate_waits() else "the flush never waited")
        other.execute(f'LOCK TABLE "{first}" IN ROW SHARE MODE')
        waited.append("got both")
        other.commit()

    started = threading.Event()
    session = threading.Thread(target=holds_the_last_then_wants_the_first)
    session.start()
    try:
        assert started.wait(10)
        call_command("flush", interactive=False, verbosity=0)
    finally:
        session.join(30)
        other.close()
        watcher.close()
    # PostgreSQL broke the deadlock by cancelling the TRUNCATE: the other session went on.
    assert waited == ["the flush waited", "got both"]
    assert not User.objects.exists()
