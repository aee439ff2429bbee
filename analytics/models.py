import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class PartnershipReport(models.Model):
    """The PDF of one partnership's scorecard for one month: built by a worker (monthly on the 1st
    for every partnership, or on demand), its progress kept on the row so the page can show it."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for a worker"
        COUNTING = "counting", "Counting the figures"
        RENDERING = "rendering", "Drawing the PDF"
        SENDING = "sending", "Sending to both organizations' admins"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    FINAL = (Status.READY, Status.FAILED)
    # The share of the work done at each step, for the progress bar.
    PROGRESS = {"queued": 5, "counting": 30, "rendering": 60, "sending": 85, "ready": 100, "failed": 100}

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    partnership = models.ForeignKey("accounts.Partnership", on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="The first day of the month reported (each site's own calendar).")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty for the monthly report, which is sent to both organizations' admins.",
    )
    pdf = models.FileField(upload_to="analytics/reports/%Y/%m/", blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    sent_to = models.PositiveSmallIntegerField(default=0, help_text="Admins the monthly report was sent to.")
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    generated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-month", "-created_at"]
        constraints = [
            # The monthly run is idempotent: one scheduled report per partnership and month.
            models.UniqueConstraint(
                fields=["partnership", "month"],
                condition=Q(requested_by__isnull=True),
                name="one_monthly_partnership_report",
            )
        ]

    def __str__(self) -> str:
        return f"Partnership report {self.partnership} {self.month:%Y-%m}"

    @property
    def progress(self) -> int:
        return self.PROGRESS[self.status]

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL
