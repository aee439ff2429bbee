"""What an attacker with write access to the database does to the log, in plain SQL with the
triggers switched off where PostgreSQL has them. They know the code, not AUDIT_KEY: what they
compute with the code's own functions uses a key of their guessing."""

from django.db import connection
from django.test import TestCase
from django.utils import timezone

from audit import chain, services
from audit.models import AuditEvent, AuditSeal

GUESSED_KEY = "the-attacker-does-not-know-the-audit-key"


def number(event):
    """How verify_audit names a record: its id."""
    return event.pk


def position(event):
    """The record's place in the chain: its seal's number."""
    return AuditSeal.objects.get(record_id=event.pk).seq


def anchor():
    """What the log keeps outside the database: the sealer seals what is committed and writes a
    checkpoint of the head after its commit."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.seal_records()


def sql(statement, params=()):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # What the database's superuser can do: switch the triggers off for this transaction.
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(statement, params)


def edit(event, **fields):
    assignments = ", ".join(f"{name} = %s" for name in fields)
    sql(f"UPDATE audit_auditevent SET {assignments} WHERE id = %s", [*fields.values(), event.pk])  # noqa: S608


def rechain_from(event):
    """Give the edited record a new MAC and remake every seal from its own on, with the code's own
    functions and a guessed key."""
    sql(
        "UPDATE audit_auditevent SET mac = %s WHERE id = %s", [chain.record_mac(GUESSED_KEY, event), event.pk]
    )
    start = AuditSeal.objects.get(record_id=event.pk)
    prev = start.prev
    for seal in AuditSeal.objects.filter(seq__gte=start.seq).order_by("seq"):
        mac = AuditEvent.objects.get(pk=seal.record_id).mac
        link = chain.seal_hash(GUESSED_KEY, seq=seal.seq, record_id=seal.record_id, mac=mac, prev=prev)
        sql("UPDATE audit_auditseal SET prev = %s, hash = %s WHERE seq = %s", [prev, link, seal.seq])
        prev = link


def _reset_ids(to):
    """Move the record ids' counter back, so that the next records reuse the ids removed."""
    if connection.vendor == "postgresql":
        sql("SELECT setval(pg_get_serial_sequence('audit_auditevent', 'id'), %s, %s)", [max(to, 1), to > 0])
    else:
        sql("UPDATE sqlite_sequence SET seq = %s WHERE name = 'audit_auditevent'", [to])


def cut_tail(keep):
    """Remove every sealed record after the first ``keep``, their seals, and move the ids back."""
    kept = AuditSeal.objects.get(seq=keep)
    cut = list(AuditSeal.objects.filter(seq__gt=keep).values_list("record_id", flat=True))
    sql("DELETE FROM audit_auditseal WHERE seq > %s", [keep])
    for record_id in cut:
        sql("DELETE FROM audit_auditevent WHERE id = %s", [record_id])
    _reset_ids(kept.record_id)


def forge(**fields):
    """A record appended with a plain INSERT, made to look like the others."""
    latest = AuditEvent.objects.latest("id")
    forged = AuditEvent(id=latest.pk + 1, at=timezone.now(), **fields)
    forged.mac = chain.record_mac(GUESSED_KEY, forged)
    forged.save(force_insert=True)
    return forged


def replay(event):
    """A genuine record copied under a new id, its MAC with it."""
    copy = AuditEvent.objects.get(pk=event.pk)
    copy.pk = AuditEvent.objects.latest("id").pk + 1
    copy.save(force_insert=True)
    return copy


def drop_truncate_trigger():
    """As the owner of the tables."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in ("audit_auditevent", "audit_auditseal"):
                cursor.execute(f"DROP TRIGGER audit_no_truncate ON {table}")


def truncate_and_reset():
    """Empty the log with TRUNCATE (DELETE on SQLite) and start its ids again."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("TRUNCATE audit_auditseal, audit_auditevent")
        else:
            cursor.execute("DELETE FROM audit_auditseal")
            cursor.execute("DELETE FROM audit_auditevent")
    _reset_ids(0)


def remove_and_renumber(event):
    """Remove a sealed record with its seal, and close the gap: every later seal moves down one place
    and points at its new predecessor."""
    gone = AuditSeal.objects.get(record_id=event.pk)
    sql("DELETE FROM audit_auditseal WHERE seq = %s", [gone.seq])
    sql("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    prev = gone.prev
    for seal in AuditSeal.objects.filter(seq__gt=gone.seq).order_by("seq"):
        sql("UPDATE audit_auditseal SET seq = %s, prev = %s WHERE seq = %s", [seal.seq - 1, prev, seal.seq])
        prev = seal.hash


def delete(event):
    """Remove a sealed record (its seal stays)."""
    sql("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
