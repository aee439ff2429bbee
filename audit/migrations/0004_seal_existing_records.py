"""The records written under the unkeyed chain get their MACs and seals, in their old order, so that
verify_audit passes after the upgrade. The old chain is checked first; what it found is itself the
first record of the keyed log, so a log tampered with before the upgrade is not sealed silently."""

import hashlib
import json

from django.conf import settings
from django.db import migrations
from django.utils import timezone

from audit import chain

BATCH = 1_000


def _legacy_content(event):
    # The canonical text of the unkeyed chain (audit.services.content_of before the keyed chain).
    return json.dumps(
        {
            "seq": event.seq,
            "at": event.at.isoformat(),
            "actor": event.actor_id,
            "actor_label": event.actor_label,
            "organization": event.organization_id,
            "action": event.action,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "object_label": event.object_label,
            "outcome": event.outcome,
            "ip_address": event.ip_address,
            "user_agent": event.user_agent,
            "data": event.data,
        },
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )


def _legacy_problem(events, head):
    expected, prev = 1, chain.GENESIS
    for event in events:
        if event.seq != expected:
            return f"record #{expected} removed" if event.seq > expected else f"record #{event.seq} inserted"
        if event.prev_hash != prev:
            return f"record #{event.seq} inserted"
        if hashlib.sha256(f"{prev}\n{_legacy_content(event)}".encode()).hexdigest() != event.hash:
            return f"record #{event.seq} altered"
        expected, prev = expected + 1, event.hash
    if head is not None and head.seq >= expected:
        return f"record #{expected} removed (the head reached #{head.seq})"
    return None


def _next_id(connection, highest):
    if connection.vendor != "postgresql":
        return highest + 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence('audit_auditevent', 'id'))")
        return cursor.fetchone()[0]


def seal_existing(apps, schema_editor):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    AuditSeal = apps.get_model("audit", "AuditSeal")
    AuditHead = apps.get_model("audit", "AuditHead")
    events = list(AuditEvent.objects.order_by("seq"))
    if not events:
        return
    key, now = settings.AUDIT_KEY, timezone.now()
    problem = _legacy_problem(events, AuditHead.objects.filter(pk=1).first())
    upgrade = AuditEvent(
        id=_next_id(schema_editor.connection, max(event.id for event in events)),
        seq=events[-1].seq + 1,
        at=now,
        action="audit.keyed_chain_started",
        data={"legacy_records": len(events), "legacy_chain": problem or "intact"},
        prev_hash="",
        hash="",
    )
    upgrade.mac = chain.record_mac(key, upgrade)
    upgrade.save(force_insert=True)
    for event in events:
        event.mac = chain.record_mac(key, event)
    AuditEvent.objects.bulk_update(events, ["mac"], batch_size=BATCH)
    prev, seals = chain.GENESIS, []
    for seq, event in enumerate([*events, upgrade], start=1):
        link = chain.seal_hash(key, seq=seq, record_id=event.id, mac=event.mac, prev=prev)
        seals.append(AuditSeal(seq=seq, record_id=event.id, prev=prev, hash=link, sealed_at=now))
        prev = link
    AuditSeal.objects.bulk_create(seals, batch_size=BATCH)
    if problem:
        print(f"\n  The audit log was already broken before the upgrade ({problem}); recorded and sealed as found.")


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_keyed_records_and_seals")]

    operations = [migrations.RunPython(seal_existing, migrations.RunPython.noop)]
