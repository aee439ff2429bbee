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


class CountedIncident(models.Model):
    """Where one incident is counted in the trends' rollup: its provider and its site's local day,
    hour and weekday, with the dimensions the trends group by. A narrow copy of what the counts are
    made of, so a bucket is recounted by one GROUP BY and an incident's old bucket is known when it
    moves (another day, another site). Only counted incidents (sent, not a drill) have a row."""

    incident = models.OneToOneField(
        "incidents.Incident", on_delete=models.CASCADE, primary_key=True, related_name="counted_in"
    )
    provider = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    day = models.DateField(help_text="The incident's day in its site's zone.")
    hour_of_week = models.PositiveSmallIntegerField(help_text="Weekday * 24 + hour, in the site's zone.")
    site = models.ForeignKey("accounts.Site", on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey("incidents.Category", on_delete=models.SET_NULL, null=True, related_name="+")
    severity = models.PositiveSmallIntegerField(null=True)
    # The hotspots' and the map's: the place on the site (trimmed), when, and the map's cell (the
    # reported coordinates rounded to 0.001°, as the map clusters them).
    location = models.CharField(max_length=200, blank=True)
    occurred_at = models.DateTimeField()
    cell_latitude = models.FloatField(null=True)
    cell_longitude = models.FloatField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["provider", "day"], name="counted_provider_day"),
            models.Index(fields=["day"], name="counted_day"),
        ]

    def __str__(self) -> str:
        return f"Incident {self.incident_id} counted on {self.day}"


class IncidentCount(models.Model):
    """The trends' rollup: how many of a provider's counted incidents fall in one day (or month) of
    their sites' calendars, per site, category, severity, hour of the week, and in all. Recounted
    per (provider, day) from CountedIncident, the month's rows from its days' rows."""

    class Period(models.TextChoices):
        DAY = "day", "Day"
        MONTH = "month", "Month"

    class Dimension(models.TextChoices):
        TOTAL = "total", "All"
        SITE = "site", "Site"
        CATEGORY = "category", "Category"
        SEVERITY = "severity", "Severity"
        HOUR = "hour", "Hour of the week"

    provider = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    period = models.CharField(max_length=5, choices=Period.choices)
    start = models.DateField(help_text="The day, or the month's first day, in the sites' calendars.")
    dimension = models.CharField(max_length=8, choices=Dimension.choices)
    key = models.IntegerField(help_text="Site id, category id, severity, weekday * 24 + hour; 0 for none.")
    count = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "period", "start", "dimension", "key"], name="one_incident_count"
            )
        ]
        indexes = [models.Index(fields=["period", "start"], name="incident_count_period")]

    def __str__(self) -> str:
        return f"{self.count} ({self.dimension} {self.key}, {self.period} of {self.start})"


class CountsBuilt(models.Model):
    """One row once the rollup was built from every incident (`manage.py rebuild_incident_counts`):
    from then on the follow-ups keep it, and the trends read it instead of the incidents."""

    built_at = models.DateTimeField()
    incidents = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"Trends' rollup built at {self.built_at:%Y-%m-%d %H:%M} ({self.incidents} incidents)"
