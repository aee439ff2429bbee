from django.conf import settings
from django.db import models

from audit import labels


class AuditEvent(models.Model):
    """One audited event (CJIS-style): who did what to which object, when, from where, and how it went.

    Append-only (on PostgreSQL triggers refuse UPDATE, DELETE and TRUNCATE, and the application's
    database role may only INSERT and SELECT) and keyed: ``mac`` is an HMAC of the record's id and
    content under AUDIT_KEY, which is not in the database. The sealer chains the committed records
    into AuditSeal, so `manage.py verify_audit` names the first record altered, inserted or removed
    (docs/audit.md)."""

    class Outcome(models.TextChoices):
        SUCCESS = "success", "Success"
        FAILURE = "failure", "Failure"
        DENIED = "denied", "Denied"

    at = models.DateTimeField()
    # No database constraints: nothing may cascade into, or block on, the audit table.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    actor_label = models.CharField(max_length=254, blank=True)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.DO_NOTHING, db_constraint=False, null=True, related_name="+"
    )
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_label = models.CharField(max_length=200, blank=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices, default=Outcome.SUCCESS)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)
    mac = models.CharField(max_length=64)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["organization", "-id"], name="audit_org_id"),
            models.Index(fields=["actor", "-id"], name="audit_actor_id"),
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
            models.Index(fields=["action", "-id"], name="audit_action_id"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} by {self.actor_label or 'system'}"

    @property
    def action_label(self) -> str:
        """The action in words (audit/labels.py)."""
        return labels.action_label(self.action)

    @property
    def object_kind(self) -> str:
        """The object's kind in words ("User", not "accounts.user")."""
        return labels.object_kind(self.object_type)


class AuditSeal(models.Model):
    """A record's place in the chain, written by the one sealer in commit order: ``seq`` counts the
    seals without gaps and ``hash`` binds the record's id and MAC to the seal before it (``prev``).
    Append-only like the records; checkpoints outside the database anchor the chain's head."""

    seq = models.PositiveBigIntegerField(primary_key=True)
    # No constraint: a removed record leaves its seal behind, which names it.
    record = models.OneToOneField(
        AuditEvent, on_delete=models.DO_NOTHING, db_constraint=False, related_name="seal"
    )
    prev = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    sealed_at = models.DateTimeField()

    class Meta:
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"seal #{self.seq} of record #{self.record_id}"


class AuditPending(models.Model):
    """A record the sealer has not reached yet, written in the record's own transaction: the sealer
    sees it when that transaction commits, however late, and deletes it once the record is sealed.
    Not evidence (the application may delete it): a record left unsealed is reported by verify_audit."""

    record = models.OneToOneField(
        AuditEvent, on_delete=models.DO_NOTHING, db_constraint=False, primary_key=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"record #{self.record_id} awaiting its seal"


class DeletionLedger(models.Model):
    """One batch that retention deleted: what kind, for which organization, how many, the time range
    they covered, and ``digest``, the SHA-256 over what went (each item's id and hash or MAC, in
    ``items``). Append-only like the records (triggers on PostgreSQL), and each row is audited by a
    ``retention.deleted`` record carrying the same digest, which verify_audit holds it against. For
    audit records, ``items`` keeps each deleted record's seal and MAC, so the chain's links still
    verify across the gap (docs/audit.md, "Retention")."""

    class Kind(models.TextChoices):
        INCIDENT = "incident", "Closed incidents"
        EVIDENCE = "evidence", "Evidence files"
        MESSAGE = "message", "Messages"
        AUDIT = "audit", "Audit records"

    at = models.DateTimeField()
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.DO_NOTHING, db_constraint=False, null=True, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    count = models.PositiveIntegerField()
    first_at = models.DateTimeField(help_text="The oldest deleted item's time (closing, or the record's).")
    last_at = models.DateTimeField(help_text="The newest deleted item's time.")
    digest = models.CharField(max_length=64, help_text="SHA-256 over the items, one 'id:hash' line each.")
    # [[id, hash], ...]; for audit records [[record id, seal seq, mac], ...].
    items = models.JSONField(default=list)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["kind", "id"], name="ledger_kind_id")]

    def __str__(self) -> str:
        return f"ledger #{self.pk}: {self.count} {self.get_kind_display().lower()}"
