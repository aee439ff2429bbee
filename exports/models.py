import os
import uuid

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils.deconstruct import deconstructible


@deconstructible
class ExportStorage(FileSystemStorage):
    """Bundles live in EXPORTS_ROOT, outside any public URL: they leave only through the
    policy-checked download. The folder is read from settings at use, not at import."""

    def __init__(self) -> None:
        super().__init__(base_url=None)

    @property
    def base_location(self) -> str:
        return str(settings.EXPORTS_ROOT)

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)


export_storage = ExportStorage()


class Bundle(models.Model):
    """A signed evidence bundle of one incident, made by a worker for a named purpose."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        BUILDING = "building", "Being built"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    incident = models.ForeignKey("incidents.Incident", on_delete=models.PROTECT, related_name="bundles")
    purpose = models.CharField(
        max_length=200, help_text="A case number, a court date, a request reference: why it was exported."
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organization = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The requester's organization: its people see the bundle.",
    )
    requested_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    bytes_total = models.PositiveBigIntegerField(default=0)
    bytes_done = models.PositiveBigIntegerField(default=0)
    files_total = models.PositiveIntegerField(default=0)
    files_done = models.PositiveIntegerField(default=0)
    file = models.FileField(storage=export_storage, upload_to="bundles/%Y/%m/", max_length=255, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True, help_text="Of the whole archive.")
    key_fingerprint = models.CharField(max_length=80, blank=True)
    error = models.CharField(max_length=500, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="The building worker's last sign of life; a build silent past its lease is queued again.",
    )

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["incident", "-requested_at"], name="bundle_incident")]

    def __str__(self) -> str:
        return f"Bundle {self.incident} ({self.purpose[:40]})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.READY, self.Status.FAILED)

    @property
    def percent(self) -> int:
        if self.status == self.Status.READY:
            return 100
        return int(100 * self.bytes_done / self.bytes_total) if self.bytes_total else 0


class FixityCheck(models.Model):
    """One re-hash of a stored evidence file against the SHA-256 recorded at upload (append-only)."""

    class Result(models.TextChoices):
        MATCH = "match", "Matches the upload's hash"
        MISMATCH = "mismatch", "Does not match the upload's hash"
        MISSING = "missing", "Missing from storage"

    evidence = models.ForeignKey("incidents.Evidence", on_delete=models.PROTECT, related_name="fixity_checks")
    checked_at = models.DateTimeField()
    result = models.CharField(max_length=10, choices=Result.choices)
    sha256 = models.CharField(max_length=64, blank=True, help_text="What the stored copy hashes to now.")
    size = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-checked_at", "-pk"]
        indexes = [models.Index(fields=["evidence", "-checked_at"], name="fixity_evidence_checked")]

    def __str__(self) -> str:
        return f"{self.evidence_id} {self.result} at {self.checked_at:%Y-%m-%d %H:%M:%S}"

    @property
    def is_ok(self) -> bool:
        return self.result == self.Result.MATCH
