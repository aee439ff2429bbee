"""The deletion ledger's arithmetic and its check (docs/audit.md, "Retention"): what verify_audit
holds the ledger to. Imports only the models, so that both the services and retention use it."""

import hashlib
from collections.abc import Sequence
from typing import Any

from django.conf import settings

from audit import chain
from audit.models import AuditEvent, DeletionLedger

DELETED = "retention.deleted"


def digest_of(items: Sequence[Sequence[Any]]) -> str:
    """SHA-256 over the items, one line each of their fields joined by ':' (id, then hash or MAC)."""
    text = "\n".join(":".join(str(part) for part in item) for item in items)
    return hashlib.sha256(text.encode()).hexdigest()


def check_ledger() -> tuple[dict[int, tuple[int, str]], str | None]:
    """Every ledger row against its audit record (same digest, recomputed over its items), and every
    ``retention.deleted`` record against its row; return the deleted audit records (id → seal seq,
    MAC) and the first problem found. The records' own MACs are checked with the chain."""
    accounts = {
        event.data.get("ledger"): event for event in AuditEvent.objects.filter(action=DELETED).order_by("id")
    }
    deleted: dict[int, tuple[int, str]] = {}
    seen = set()
    for row in DeletionLedger.objects.order_by("id").iterator(chunk_size=200):
        seen.add(row.pk)
        event = accounts.get(row.pk)
        if event is None or not chain.has_valid_mac(settings.AUDIT_KEY, event):
            return (
                deleted,
                f"ledger row #{row.pk} has no {DELETED} audit record: it was not written by retention",
            )
        if digest_of(row.items) != row.digest or row.count != len(row.items):
            return deleted, f"ledger row #{row.pk} altered: its items no longer match its digest"
        if event.data.get("digest") != row.digest or event.data.get("kind") != row.kind:
            return deleted, f"ledger row #{row.pk} altered: it differs from audit record #{event.pk}"
        if row.kind == DeletionLedger.Kind.AUDIT:
            for record_id, seq, mac in row.items:
                deleted[int(record_id)] = (int(seq), str(mac))
    for ledger_id, event in accounts.items():
        if ledger_id not in seen:
            return deleted, f"ledger row #{ledger_id} removed: audit record #{event.pk} accounts for it"
    return deleted, None
