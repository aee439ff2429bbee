"""Retention's side of the audit log (docs/audit.md, "Retention"): the deletion ledger, and deleting
audit records past their organization's retention so that the chain still verifies."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import RETAIN_AUDIT_DAYS, Organization
from audit import services as audit
from audit.ledger import DELETED, digest_of
from audit.models import AuditEvent, DeletionLedger

BATCH = 500


def record_deletion(
    *,
    kind: str,
    organization: Organization | None,
    items: list[list[Any]],
    first_at: datetime,
    last_at: datetime,
    **detail: Any,
) -> DeletionLedger:
    """Append a ledger row for one deleted batch and its audit record (same digest), in the caller's
    transaction: the batch and its account of itself commit or roll back together."""
    digest = digest_of(items)
    row = DeletionLedger.objects.create(
        at=timezone.now(),
        organization=organization,
        kind=kind,
        count=len(items),
        first_at=first_at,
        last_at=last_at,
        digest=digest,
        items=items,
        detail=detail,
    )
    audit.record(
        action=DELETED,
        obj=row,
        organization=organization,
        actor_label="retention",
        ledger=row.pk,
        kind=kind,
        count=len(items),
        first_at=first_at.isoformat(),
        last_at=last_at.isoformat(),
        digest=digest,
        **detail,
    )
    return row


def audit_cutoff(organization: Organization | None, now: datetime) -> datetime:
    days = organization.retain_audit_days if organization is not None else RETAIN_AUDIT_DAYS
    return now - timedelta(days=days)


def list_audit_records_due(*, organization: Organization | None, now: datetime) -> QuerySet[AuditEvent]:
    """The organization's sealed audit records older than its audit retention (records of no
    organization: the default period). The ledger's own records are kept for good, and a record not
    sealed yet waits (the ledger names each deleted record's seal)."""
    return AuditEvent.objects.filter(
        organization=organization,
        at__lt=audit_cutoff(organization, now),
        seal__isnull=False,
    ).exclude(action=DELETED)


@dataclass(frozen=True)
class Batch:
    ledger: DeletionLedger
    deleted: int


def delete_audit_batch(
    *, organization: Organization | None, now: datetime, batch: int = BATCH
) -> Batch | None:
    """Delete one batch of the organization's audit records past retention, oldest first, with the
    ledger row that names each one's seal and MAC; None when nothing is due."""
    with transaction.atomic():
        rows = list(
            list_audit_records_due(organization=organization, now=now)
            .order_by("id")
            .values_list("id", "seal__seq", "mac", "at")[:batch]
        )
        if not rows:
            return None
        items = [[record_id, seq, mac] for record_id, seq, mac, _ in rows]
        times = [at for *_, at in rows]
        row = record_deletion(
            kind=DeletionLedger.Kind.AUDIT,
            organization=organization,
            items=items,
            first_at=min(times),
            last_at=max(times),
            first_seal=min(seq for _, seq, _, _ in rows),
            last_seal=max(seq for _, seq, _, _ in rows),
        )
        deleted = delete_listed(row)
    return Batch(ledger=row, deleted=deleted)


def delete_listed(row: DeletionLedger) -> int:
    """Delete the records the ledger row lists. On PostgreSQL the audit table refuses DELETE; only
    audit_retention_delete (migration 0006, run as the tables' owner) deletes, and only records a
    ledger row names with their MAC."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT audit_retention_delete(%s)", [row.pk])
            return int(cursor.fetchone()[0])
    deleted, _ = AuditEvent.objects.filter(id__in=[item[0] for item in row.items]).delete()
    return deleted
