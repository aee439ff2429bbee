"""What an attacker with write access to the database (but not the audit key) does to the log, in
plain SQL with the triggers switched off where PostgreSQL has them."""

from django.db import connection

from audit import services
from audit.models import GENESIS, AuditEvent, AuditHead


def number(event):
    """How verify_audit names a record."""
    return event.seq


def position(event):
    """The record's place in the chain."""
    return event.seq


def anchor():
    """Whatever the log keeps outside the database so that the attacks below show (nothing today)."""


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
    """Recompute every hash from ``event`` on with the code's own functions, and move the head."""
    prev = (
        AuditEvent.objects.filter(seq__lt=event.seq).order_by("-seq").values_list("hash", flat=True).first()
    )
    prev = prev or GENESIS
    for later in AuditEvent.objects.filter(seq__gte=event.seq).order_by("seq"):
        later.prev_hash = prev
        later.hash = services.chain_hash(prev, services.content_of(later))
        sql(
            "UPDATE audit_auditevent SET prev_hash = %s, hash = %s WHERE id = %s",
            [prev, later.hash, later.pk],
        )
        prev = later.hash
    sql("UPDATE audit_audithead SET hash = %s", [prev])


def cut_tail(keep):
    """Remove every record after the first ``keep`` and move the head back to the last one kept."""
    kept = AuditEvent.objects.order_by("seq")[keep - 1]
    sql("DELETE FROM audit_auditevent WHERE seq > %s", [kept.seq])
    sql("UPDATE audit_audithead SET seq = %s, hash = %s", [kept.seq, kept.hash])


def forge(**fields):
    """A record appended with a plain INSERT, made to look like the others."""
    head = AuditHead.objects.get()
    forged = AuditEvent(
        seq=head.seq + 1, at=AuditEvent.objects.latest("seq").at, prev_hash=head.hash, **fields
    )
    forged.hash = services.chain_hash(head.hash, services.content_of(forged))
    forged.save()
    sql("UPDATE audit_audithead SET seq = %s, hash = %s", [forged.seq, forged.hash])
    return forged


def drop_truncate_trigger():
    """As the owner of the tables (there is no such trigger today)."""


def truncate_and_reset():
    """Empty the log with TRUNCATE (DELETE on SQLite) and reset whatever remembers its length."""
    if connection.vendor == "postgresql":
        sql("TRUNCATE audit_auditevent")
    else:
        sql("DELETE FROM audit_auditevent")
    sql("UPDATE audit_audithead SET seq = 0, hash = %s", [GENESIS])


def delete(event):
    sql("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
