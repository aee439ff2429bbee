import uuid
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.db.models import Q

from incidents.models import EvidenceStorage
from portal import zones


class Interval(models.TextChoices):
    """The response intervals of an incident, each between two moments of its timeline."""

    TRIAGE = "triage", "Received → triaged"
    ESCALATION = "escalation", "Triaged → escalated"
    ACCEPTANCE = "acceptance", "Escalated → accepted"
    ARRIVAL = "arrival", "Accepted → on scene"
    CLEARANCE = "clearance", "On scene → cleared"


class ResponseTarget(models.Model):
    """A target for one interval, for an agency or a site (a site's overrides its agency's)."""

    interval = models.CharField(max_length=16, choices=Interval.choices)
    agency = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    site = models.ForeignKey(
        "accounts.Site", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    seconds = models.PositiveIntegerField()
    percentile = models.PositiveSmallIntegerField(default=90, help_text="Share of incidents to meet it (%).")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(agency__isnull=False) | Q(site__isnull=False), name="target_has_a_scope"
            ),
            models.UniqueConstraint(fields=["interval", "agency", "site"], name="unique_target"),
        ]

    def __str__(self) -> str:
        return f"{self.get_interval_display()} ≤ {self.seconds} s ({self.agency or self.site})"


class Debrief(models.Model):
    """An after-action report and improvement plan (HSEEP shape) for one incident, in versions.

    An approved version is frozen; a later change makes a new version and the earlier stay readable."""

    class Status(models.TextChoices):
        GENERATING = "generating", "Generating"
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted for review"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        APPROVED = "approved", "Approved"

    class Pdf(models.TextChoices):
        NONE = "none", "Not rendered"
        PENDING = "pending", "Rendering"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    incident = models.ForeignKey("incidents.Incident", on_delete=models.PROTECT, related_name="debriefs")
    version = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.GENERATING)
    summary = models.TextField(blank=True)
    strengths = models.TextField(blank=True)
    improvements = models.TextField("areas for improvement", blank=True)
    agency_contribution = models.TextField(blank=True, help_text="Written by the agency's liaisons.")
    facts = models.JSONField(
        default=dict, blank=True, help_text="Drafted from the timeline; frozen with the version."
    )
    drill = models.JSONField(
        default=dict,
        blank=True,
        help_text="A drill's debrief: the drill as preparedness described it when its window closed.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    drafted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    pdf_status = models.CharField(max_length=10, choices=Pdf.choices, default=Pdf.NONE)
    pdf = models.FileField(storage=EvidenceStorage(), upload_to="debriefs/%Y/%m/", blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    pdf_generated_at = models.DateTimeField(null=True, blank=True)
    pdf_error = models.CharField(max_length=300, blank=True)
    edit_version = models.PositiveIntegerField(default=1, help_text="Optimistic locking of the text.")

    class Meta:
        ordering = ["incident", "-version"]
        constraints = [models.UniqueConstraint(fields=["incident", "version"], name="unique_debrief_version")]
        indexes = [models.Index(fields=["status", "-submitted_at"], name="debrief_status")]

    def __str__(self) -> str:
        return f"Debrief {self.incident} v{self.version}"

    @property
    def is_frozen(self) -> bool:
        return self.status == self.Status.APPROVED

    @property
    def is_drill(self) -> bool:
        return bool(self.drill)

    @property
    def version_label(self) -> str:
        """The version and its state as people read them: "Version 1 · Draft"."""
        return f"Version {self.version} \u00b7 {self.get_status_display()}"


class ReviewComment(models.Model):
    debrief = models.ForeignKey(Debrief, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.author}: {self.text[:40]}"


class CorrectiveAction(models.Model):
    """What will change, who owns it, by when, and how closing it was verified. Actions outlive
    the debrief's versions: they are tracked to done after approval.

    An action comes from an incident's debrief, or from a joint briefing's decision (preparedness, a
    peer, tells debriefs through its ``briefing.action_decided`` event: the briefing is named by
    ``origin_*`` and its two organizations, never by a foreign key to a peer's table)."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"

    class Origin(models.TextChoices):
        INCIDENT = "incident", "Incident"
        BRIEFING = "briefing", "Joint briefing"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    incident = models.ForeignKey(
        "incidents.Incident",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrective_actions",
    )
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.INCIDENT)
    origin_ref = models.UUIDField(
        null=True, blank=True, unique=True, help_text="A briefing decision's public id (one action each)."
    )
    origin_label = models.CharField(max_length=300, blank=True)
    origin_path = models.CharField(max_length=200, blank=True)
    provider = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    agency = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    time_zone = models.CharField(
        max_length=64, blank=True, help_text="Where its due day ends when it has no incident."
    )
    what = models.TextField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="corrective_actions"
    )
    due_date = models.DateField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    verification = models.TextField(blank=True, help_text="How closure was verified.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_date", "pk"]
        indexes = [models.Index(fields=["status", "due_date"], name="action_status_due")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(origin="incident") & Q(incident__isnull=False))
                | (Q(origin="briefing") & Q(origin_ref__isnull=False) & Q(provider__isnull=False)),
                name="action_has_an_origin",
            )
        ]

    def __str__(self) -> str:
        return self.what[:60]

    @property
    def zone(self) -> ZoneInfo:
        """Where its due day ends: the incident's site, else the zone it was given."""
        incident = self.incident
        return incident.site.zone if incident is not None else zones.zone(self.time_zone)

    @property
    def source(self) -> str:
        incident = self.incident
        return incident.reference if incident is not None else self.origin_label
