from django.conf import settings
from django.db import models

GENESIS = "0" * 64


class AuditEvent(models.Model):
    """One audited event (CJIS-style): who did what to which object, when, from where, and how it went.

    Append-only (on PostgreSQL a trigger refuses UPDATE and DELETE) and hash-chained: ``hash`` covers
    this record's content and the previous record's hash; ``seq`` numbers the records without gaps,
    so `manage.py verify_audit` names the first record altered, inserted or removed."""

    class Outcome(models.TextChoices):
        SUCCESS = "success", "Success"
        FAILURE = "failure", "Failure"
        DENIED = "denied", "Denied"

    seq = models.PositiveBigIntegerField(unique=True)
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
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-seq"]
        indexes = [
            models.Index(fields=["organization", "-seq"], name="audit_org_seq"),
            models.Index(fields=["actor", "-seq"], name="audit_actor_seq"),
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
            models.Index(fields=["action", "-seq"], name="audit_action_seq"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} by {self.actor_label or 'system'}"


class AuditHead(models.Model):
    """The chain's last number and hash (one row): appending locks it, so records chain in order."""

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS)

    def __str__(self) -> str:
        return f"audit head #{self.seq}"
