import uuid
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import validate_outline
from incidents.models import Category, evidence_storage


class RejectionCause(models.TextChoices):
    """Why an agency declines an escalation, shaped on ASAP-to-PSAP's reject causes: shown to the
    provider and kept for the analytics."""

    OUTSIDE_JURISDICTION = "outside_jurisdiction", "Wrong address or outside our jurisdiction"
    NOT_POLICE_MATTER = "not_police_matter", "Not a police matter"
    DUPLICATE = "duplicate", "Duplicate of a call we have"
    TOO_OLD = "too_old", "Too old to respond to"
    NOT_ENOUGH_INFORMATION = "not_enough_information", "Not enough information"
    OTHER = "other", "Other"


class VerificationLevel(models.IntegerChoices):
    """How verified an escalation is, shaped on TMA-AVS-01's alarm validation levels (0 no call for
    service … 4 confirmed threat to life)."""

    NO_CALL = 0, "0 · No call for service"
    UNVERIFIED = 1, "1 · Reported, not seen"
    EYES_ON = 2, "2 · Verified: seen by a guard or on camera"
    SUSPECT = 3, "3 · Verified: suspect present"
    THREAT_TO_LIFE = 4, "4 · Confirmed threat to life"


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
        BULLETIN = "bulletin", "Sighting of a police bulletin"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    incident = models.ForeignKey("incidents.Incident", on_delete=models.PROTECT, related_name="escalations")
    agency = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="escalations")
    # The incident's provider, copied when the escalation is opened and never changed: the
    # provider's side reads its escalations by it, with no join through incidents and sites. On
    # PostgreSQL a foreign key on (incident, provider) holds it equal (migration 0005).
    provider = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+", editable=False, db_index=False
    )
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
    rejection_cause = models.CharField(max_length=32, choices=RejectionCause.choices, blank=True)
    verification_level = models.PositiveSmallIntegerField(
        choices=VerificationLevel.choices, default=VerificationLevel.UNVERIFIED
    )
    verification_suggested = models.PositiveSmallIntegerField(
        choices=VerificationLevel.choices,
        default=VerificationLevel.UNVERIFIED,
        help_text="What the report held when it was escalated.",
    )
    verification_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verification_confirmed_at = models.DateTimeField(null=True, blank=True)
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
        indexes = [
            models.Index(fields=["agency", "status"], name="escalation_agency_status"),
            # Each side's history, newest first, within its tenant.
            models.Index(fields=["agency", "-requested_at", "-id"], name="escalation_agency_requested"),
            models.Index(fields=["provider", "-requested_at", "-id"], name="escalation_provider_requested"),
        ]

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


class BoardWatch(models.Model):
    """One open board socket: who watches which agency's board, and its last ping. A row, because
    any web process may hold the socket and a supervisor's page must see every board."""

    channel_name = models.CharField(max_length=200, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    agency = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    opened_at = models.DateTimeField()
    last_ping_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["agency", "closed_at"], name="board_watch_agency")]

    def __str__(self) -> str:
        return f"{self.user} on {self.agency_id}'s board, last ping {self.last_ping_at:%H:%M:%S}"


class SiteProfile(models.Model):
    """A site's safety profile (Smart911-shaped): what the police need on arrival, kept by the
    provider's supervisors, shown to the partnering agency beside every escalation of the site.

    It lives in dispatch, beside the site's escalation rule, because the board (dispatch) shows it
    and must not import a higher app (docs/architecture.md)."""

    site = models.OneToOneField("accounts.Site", on_delete=models.CASCADE, related_name="safety_profile")
    access_points = models.TextField(blank=True, help_text="Entrances, gates, the way in for responders.")
    key_holders = models.TextField(blank=True, help_text="Key-holders with their phone numbers.")
    after_hours = models.TextField(blank=True, help_text="Who to call after hours.")
    posts = models.TextField(blank=True, help_text="Post locations by floor and area.")
    hazards = models.TextField(blank=True)
    cameras = models.TextField(blank=True, help_text="Cameras, and who can pull footage.")
    emergency_contacts = models.TextField(blank=True)
    last_verified = models.DateField(null=True, blank=True)
    reverify_days = models.PositiveSmallIntegerField(
        default=180, help_text="How often the profile must be verified again (Smart911: every 6 months)."
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(reverify_days__gte=1), name="site_profile_reverify_days_positive"
            )
        ]

    def __str__(self) -> str:
        return f"Safety profile of {self.site}"

    @property
    def due_on(self) -> date | None:
        return self.last_verified + timedelta(days=self.reverify_days) if self.last_verified else None

    def is_stale(self, today: date | None = None) -> bool:
        """Never verified, or verified longer ago than its interval."""
        due = self.due_on
        return due is None or due < (today or timezone.localdate())

    @property
    def state(self) -> str:
        """ "current", "stale" (overdue) or "never" (never verified): what its badge says."""
        if self.last_verified is None:
            return "never"
        return "stale" if self.is_stale() else "current"


class Jurisdiction(models.Model):
    """An area an agency answers for, drawn by the platform admin: a polygon of [latitude,
    longitude] points (plain geometry, dispatch/geometry.py). A site's suggested agency is the one
    whose area holds the site's coordinates."""

    agency = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.CASCADE,
        related_name="jurisdictions",
        limit_choices_to={"kind": "agency"},
    )
    name = models.CharField(max_length=100)
    area = models.JSONField(
        validators=[validate_outline], help_text="[[latitude, longitude], …]: 3 to 200 points, in order."
    )

    class Meta:
        ordering = ["agency__name", "name"]

    def __str__(self) -> str:
        return f"{self.agency}: {self.name}"

    def clean(self) -> None:
        if not self.area:
            raise ValidationError({"area": "Draw the area: at least 3 points."})


class SiteFallback(models.Model):
    """Mutual aid: the agencies a site's escalation goes to, in order, when its primary agency (the
    site's partner) rejects it as outside its jurisdiction."""

    site = models.ForeignKey("accounts.Site", on_delete=models.CASCADE, related_name="fallbacks")
    agency = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.CASCADE,
        related_name="+",
        limit_choices_to={"kind": "agency"},
    )
    position = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["site", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["site", "agency"], name="unique_site_fallback")]

    def __str__(self) -> str:
        return f"{self.site} → {self.agency} (#{self.position})"

    def clean(self) -> None:
        if self.site_id and self.agency_id and self.agency_id == self.site.agency_id:
            raise ValidationError({"agency": "That is the site's primary agency already."})


class FloorPlan(models.Model):
    """A floor plan of a site's profile (an image or a PDF), kept as evidence is: checked by its
    content, stored outside any public URL under a random name, its SHA-256 taken on arrival."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    site = models.ForeignKey("accounts.Site", on_delete=models.CASCADE, related_name="floor_plans")
    name = models.CharField(max_length=150)
    file = models.FileField(storage=evidence_storage, upload_to="floor-plans/%Y/%m/", max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["site", "name", "uploaded_at"]

    def __str__(self) -> str:
        return f"{self.site}: {self.name}"


class AgencyCadCode(models.Model):
    """An agency's own CAD incident-type code for a category: what its dispatch system calls it
    (beside the category's APCO common code, which every agency understands)."""

    agency = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="cad_codes")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")
    cad_code = models.CharField("CAD code", max_length=40)
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["agency", "category__position"]
        verbose_name = "agency CAD code"
        constraints = [models.UniqueConstraint(fields=["agency", "category"], name="unique_agency_cad_code")]

    def __str__(self) -> str:
        return f"{self.agency}: {self.category} = {self.cad_code}"


class CadReport(models.Model):
    """A status the agency's CAD reported through the API, kept by its idempotency key (or the CAD's
    own event id): the same key again changes nothing and gets the same answer."""

    class Outcome(models.TextChoices):
        APPLIED = "applied", "Applied"
        ALREADY = "already", "Already at or past it: nothing changed"

    agency = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=100, help_text="Idempotency-Key header, or the CAD's event id.")
    escalation = models.ForeignKey(Escalation, on_delete=models.PROTECT, related_name="cad_reports")
    status = models.CharField(max_length=16, choices=Escalation.Status.choices)
    cause = models.TextField(blank=True)
    cause_code = models.CharField(max_length=40, blank=True)
    disposition = models.TextField(blank=True)
    case_number = models.CharField(max_length=40, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    steps = models.JSONField(default=list, help_text="The lifecycle steps it took, in order.")
    status_after = models.CharField(max_length=16, choices=Escalation.Status.choices)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["-received_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["agency", "key"], name="unique_cad_report_key")]

    def __str__(self) -> str:
        return f"{self.agency_id}:{self.key} {self.status} ({self.outcome})"


class AccessFlag(models.Model):
    """Unusual access to personal data by one of an agency's people, found by the periodic review
    (dispatch/services/access_review.py) and shown to the agency's org admins with its evidence: the
    accesses themselves (when, which incident, what, the purpose given), read from the audit log."""

    class Kind(models.TextChoices):
        MANY_INCIDENTS = "many_incidents", "Personal data of many incidents outside open escalations"
        ODD_HOURS = "odd_hours", "Access at hours unusual for this person"

    agency = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # One flag per person, kind and day the window ends on: the hourly review never flags twice.
    day = models.DateField()
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    summary = models.CharField(max_length=300)
    evidence = models.JSONField(default=dict, help_text="The accesses and figures the flag rests on.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["user", "kind", "day"], name="unique_access_flag_day")]
        indexes = [models.Index(fields=["agency", "-created_at"], name="access_flag_agency")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.user} ({self.day})"
