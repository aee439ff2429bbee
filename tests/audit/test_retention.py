"""Audit records past their organization's retention are deleted (issue 21.5) and the log still
verifies: the deletion ledger keeps each deleted record's seal and MAC, and is itself audited. A kept
record tampered with, a deletion without a ledger row, or a ledger row altered still fails."""

import re
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from audit import services
from audit.ledger import digest_of
from audit.models import AuditEvent, AuditSeal, DeletionLedger
from audit.retention import delete_listed
from incidents.services import apply_retention
from tests.audit import attacks

LATER = timedelta(days=8 * 365)  # past the default seven years, short of provider B's ten


@pytest.fixture(autouse=True)
def _checkpoint_at_every_seal(settings):
    settings.AUDIT_CHECKPOINT_SECONDS = 0


@pytest.fixture
def log(world):
    """Records of provider A (kept the default seven years) and provider B (ten), sealed and anchored."""
    world.provider_b.retain_audit_days = 3650
    world.provider_b.save()
    a = [services.record(action="test.event", actor=world.guard_a, n=n) for n in range(4)]
    b = [services.record(action="test.event", actor=world.guard_b, n=n) for n in range(3)]
    attacks.anchor()
    return a, b


def verified(capsys) -> str:
    call_command("verify_audit")
    return capsys.readouterr().out


def test_deleting_old_records_leaves_the_chain_verifying(world, log, capsys):
    a, b = log
    apply_retention(now=timezone.now() + LATER)
    gone = set(AuditEvent.objects.filter(pk__in=[e.pk for e in a]).values_list("pk", flat=True))
    assert gone == set(), "provider A's old records are deleted"
    assert AuditEvent.objects.filter(pk__in=[e.pk for e in b]).count() == 3, "provider B keeps ten years"
    assert AuditSeal.objects.filter(record_id__in=[e.pk for e in a]).count() == 4, "the seals stay"
    row = DeletionLedger.objects.get(kind=DeletionLedger.Kind.AUDIT, organization=world.provider_a)
    assert row.count == len(row.items) >= 4
    assert {item[0] for item in row.items} >= {e.pk for e in a}
    assert verified(capsys).count("deleted by retention") == 1
    attacks.anchor()  # the ledger's own audit records are sealed in turn
    out = verified(capsys)
    assert "audit log intact" in out
    assert "deleted by retention" in out


def test_a_kept_record_tampered_with_still_fails(world, log):
    _, b = log
    apply_retention(now=timezone.now() + LATER)
    attacks.anchor()
    attacks.edit(b[1], actor_label="someone@else")
    with pytest.raises(CommandError, match=rf"record #{b[1].pk}\b.*altered"):
        call_command("verify_audit")


def test_a_record_deleted_without_a_ledger_row_still_fails(world, log):
    _, b = log
    apply_retention(now=timezone.now() + LATER)
    attacks.anchor()
    attacks.sql("DELETE FROM audit_auditevent WHERE id = %s", [b[0].pk])
    with pytest.raises(CommandError, match=rf"record #{b[0].pk}\b.*removed"):
        call_command("verify_audit")


def test_a_ledger_row_altered_or_removed_fails(world, log):
    apply_retention(now=timezone.now() + LATER)
    attacks.anchor()
    row = DeletionLedger.objects.get(kind=DeletionLedger.Kind.AUDIT, organization=world.provider_a)
    attacks.sql("UPDATE audit_deletionledger SET count = count - 1 WHERE id = %s", [row.pk])
    with pytest.raises(CommandError, match=rf"ledger row #{row.pk} altered"):
        call_command("verify_audit")
    attacks.sql("DELETE FROM audit_deletionledger WHERE id = %s", [row.pk])
    with pytest.raises(CommandError, match=re.escape(f"ledger row #{row.pk} removed")):
        call_command("verify_audit")


def test_the_ledgers_own_records_are_never_deleted(world, log):
    apply_retention(now=timezone.now() + LATER)
    accounts = AuditEvent.objects.filter(action="retention.deleted").count()
    assert accounts >= 1
    attacks.anchor()
    apply_retention(now=timezone.now() + LATER * 3)
    assert AuditEvent.objects.filter(action="retention.deleted").count() >= accounts


@pytest.mark.postgres
def test_postgresql_still_refuses_a_plain_delete_and_the_ledger_is_append_only(world, log):
    a, _ = log
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=a[0].pk).delete()
    apply_retention(now=timezone.now() + LATER)
    row = DeletionLedger.objects.first()
    for statement in ("UPDATE audit_deletionledger SET count = 0", "DELETE FROM audit_deletionledger"):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(f"{statement} WHERE id = %s", [row.pk])


def test_a_ledger_row_not_written_by_retention_is_named(world, log):
    """Whoever can insert rows (the application's role) can list records in a ledger row of its own
    and have them deleted, but not make the audit record with the key's MAC that the row needs."""
    _, b = log
    items = [[b[0].pk, AuditSeal.objects.get(record_id=b[0].pk).seq, b[0].mac]]
    now = timezone.now()
    forged = DeletionLedger.objects.create(
        at=now, kind="audit", count=1, first_at=now, last_at=now, digest=digest_of(items), items=items
    )
    assert delete_listed(forged) == 1
    assert not AuditEvent.objects.filter(pk=b[0].pk).exists()
    with pytest.raises(CommandError, match=rf"ledger row #{forged.pk} has no retention.deleted audit record"):
        call_command("verify_audit")
