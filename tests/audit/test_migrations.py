"""Upgrading a log written under the unkeyed chain: its records get MACs and seals in their old order,
so verify_audit passes; and what the old chain's check found is the keyed log's first new record."""

import hashlib
import json

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from audit import services
from audit.models import AuditEvent

BEFORE = [("audit", "0002_append_only_trigger")]
GENESIS = "0" * 64


def _legacy_log(apps, count):
    """Records as the unkeyed chain wrote them: SHA-256 over the previous hash and the content."""
    Event, Head = apps.get_model("audit", "AuditEvent"), apps.get_model("audit", "AuditHead")
    prev = GENESIS
    for seq in range(1, count + 1):
        event = Event(
            seq=seq, at=timezone.now(), actor_label="guard@example.org", action="test.legacy", data={"n": seq}
        )
        content = {
            "seq": seq,
            "at": event.at.isoformat(),
            "actor": None,
            "actor_label": event.actor_label,
            "organization": None,
            "action": event.action,
            "object_type": "",
            "object_id": "",
            "object_label": "",
            "outcome": "success",
            "ip_address": None,
            "user_agent": "",
            "data": event.data,
        }
        text = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
        event.prev_hash, event.hash = prev, hashlib.sha256(f"{prev}\n{text}".encode()).hexdigest()
        event.save()
        prev = event.hash
    Head.objects.create(pk=1, seq=count, hash=prev)
    return Event


@pytest.fixture
def legacy():
    """The audit app migrated back to the unkeyed chain (its tables empty), and forward again after."""
    executor = MigrationExecutor(connection)
    latest = [key for key in executor.loader.graph.leaf_nodes() if key[0] == "audit"]
    executor.migrate(BEFORE)
    try:
        yield MigrationExecutor(connection).loader.project_state(BEFORE).apps
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(latest)


def _upgrade():
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([key for key in executor.loader.graph.leaf_nodes() if key[0] == "audit"])


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_intact_legacy_log_is_sealed_and_verifies(legacy):
    _legacy_log(legacy, 3)
    _upgrade()
    verification = services.verify()
    assert (verification.problem, verification.sealed) == (None, 4)
    started = AuditEvent.objects.order_by("id").last()
    assert started.action == "audit.keyed_chain_started"
    assert started.data == {"legacy_records": 3, "legacy_chain": "intact"}
    # Appending goes on after the upgrade's record.
    assert services.record(action="test.after").pk > started.pk
    assert services.seal_records() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_legacy_log_tampered_with_before_the_upgrade_says_so(legacy):
    Event = _legacy_log(legacy, 3)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_append_only")
    Event.objects.filter(seq=2).update(actor_label="someone@else")
    _upgrade()
    assert services.verify().problem is None
    started = AuditEvent.objects.get(action="audit.keyed_chain_started")
    assert started.data["legacy_chain"] == "record #2 altered"
