import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from incidents.models import Category


class Escalation(models.Model):
    """An incident handed to the agency partnering with its site (APCO/CSAA ASAP-style lifecycle)."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"
        DISPATCHED = "dispatched", "Dispatched"
        ON_SCENE = "on_scene", "On scene"
        CLEARED = "cleared", "Cleared"
        CANCELLED = "cancelled", "Cancelled"

    OPEN = (Status.REQUESTED, Status.ACCEPTED, Status.DISPATCHED, Status.ON_SCENE)

    class Source(models.TextChoices):
        SUPERVISOR = "supervisor", "Supervisor"
        GUARD = "guard", "Guard (severity 1)"
        PANIC = "panic", "Panic button"
        RULE = "rule", "Site rule"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    incident = models.ForeignKey("incidents.Incident", on_delete=models.PROTECT, related_name="escalations")
    agency = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="escalations")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.REQUESTED)
    source = models.CharField(max_length=16, choices=Source.choices)
    reason = models.TextField(blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rejected_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    on_scene_at = models.DateTimeField(null=True, blank=True)
    cleared_at = models.DateTimeField(null=True, blank=True)
    disposition = models.TextField(blank=True)
    case_number = models.CharField("police case number", max_length=40, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(blank=True)
    panic_cleared_at = models.DateTimeField(null=True, blank=True)
    panic_cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident"],
                condition=Q(status__in=["requested", "accepted", "dispatched", "on_scene"]),
                name="one_open_escalation_per_incident",
            )
        ]
        indexes = [models.Index(fields=["agency", "status"], name="escalation_agency_status")]

    def __str__(self) -> str:
        return f"{self.incident} → {self.agency} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def is_panic(self) -> bool:
        return self.source == self.Source.PANIC

    @property
    def panic_active(self) -> bool:
        """A panic stays red until a supervisor has cleared it ("guard is safe"), as on the desk; the
        escalation itself stays on the board while the police response is open."""
        if not self.is_panic or self.status in (self.Status.CANCELLED, self.Status.REJECTED):
            return False
        return self.panic_cleared_at is None


class BoardCursor(models.Model):
    """The last board sequence number handed out for an agency (one row per agency)."""

    agency = models.OneToOneField("accounts.Organization", on_delete=models.CASCADE, primary_key=True)
    last = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.agency}: {self.last}"


class BoardEvent(models.Model):
    """An event on an agency's board, numbered in the transaction of the change: the replay log."""

    agency = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    sequence = models.PositiveBigIntegerField()
    name = models.CharField(max_length=64)
    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="board_events")
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["agency", "sequence"]
        constraints = [models.UniqueConstraint(fields=["agency", "sequence"], name="unique_board_sequence")]

    def __str__(self) -> str:
        return f"{self.agency_id}#{self.sequence} {self.name}"


class EscalationRule(models.Model):
    """A site's rule: reports of these categories, or at least this severe, escalate by themselves."""

    site = models.OneToOneField("accounts.Site", on_delete=models.CASCADE, related_name="escalation_rule")
    categories = models.ManyToManyField(Category, blank=True, related_name="+")
    max_severity = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Escalate every report at least this severe (1 = only life-threatening). Empty: none.",
    )
    is_active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"Rule for {self.site}"


class RuleCheck(models.Model):
    """That the site's escalation rule ran for a submitted report, whatever it decided: the rules'
    sweep applies the rule to a recent report without one (its task was lost)."""

    incident = models.OneToOneField(
        "incidents.Incident", on_delete=models.CASCADE, primary_key=True, related_name="rule_check"
    )
    checked_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Rule checked for {self.incident_id} at {self.checked_at:%Y-%m-%d %H:%M}"


class BoardPreference(models.Model):
    """A board watcher's own settings, kept on the server so that they follow the person to any screen."""

    class Density(models.TextChoices):
        COMFORTABLE = "comfortable", "Comfortable"
        COMPACT = "compact", "Compact"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="board_preference"
    )
    density = models.CharField(max_length=16, choices=Density.choices, default=Density.COMFORTABLE)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user}: {self.get_density_display()}"


class BoardRead(models.Model):
    """When a watcher last opened an escalation's details: the provider's messages after it are unread."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="reads")
    read_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "escalation"], name="unique_board_read")]

    def __str__(self) -> str:
        return f"{self.user} read {self.escalation_id} at {self.read_at:%H:%M:%S}"
