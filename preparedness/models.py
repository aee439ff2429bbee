import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class Scenario(models.TextChoices):
    FIRE = "fire", "Fire"
    ACTIVE_ASSAILANT = "active_assailant", "Active assailant"
    BOMB_THREAT = "bomb_threat", "Bomb threat"
    MEDICAL = "medical", "Medical emergency"
    EVACUATION = "evacuation", "Evacuation"
    LOCKDOWN = "lockdown", "Lockdown"
    SEVERE_WEATHER = "severe_weather", "Severe weather"


class Plan(models.Model):
    """A site's post orders (the provider's) or its emergency response plan for one scenario (the
    provider's, reviewed and approved by the partnering agency), kept in versions."""

    class Kind(models.TextChoices):
        POST_ORDERS = "post_orders", "Post orders"
        ERP = "erp", "Emergency response plan"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="plans")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    scenario = models.CharField(max_length=20, choices=Scenario.choices, blank=True)
    title = models.CharField(max_length=200)
    categories = models.ManyToManyField(
        "incidents.Category",
        blank=True,
        related_name="+",
        help_text="The incident categories this plan answers: their incident pages offer it.",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["site", "kind", "scenario"]
        constraints = [
            models.UniqueConstraint(fields=["site", "kind", "scenario"], name="unique_site_plan"),
            models.CheckConstraint(
                condition=Q(kind="post_orders", scenario="") | (Q(kind="erp") & ~Q(scenario="")),
                name="erp_has_a_scenario",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_erp(self) -> bool:
        return self.kind == self.Kind.ERP


class PlanVersion(models.Model):
    """One version of a plan: sections of sanitized rich text. Frozen once in force (post orders
    published by the provider; an ERP approved by the agency's liaison); a change is a new version."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "Waiting for the agency's approval"
        APPROVED = "approved", "Approved"  # an ERP, by the agency
        PUBLISHED = "published", "Published"  # post orders, by the provider

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    sections = models.JSONField(
        default=list, blank=True, help_text="[{heading, html}], the html sanitized when written."
    )
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    in_force_at = models.DateTimeField(null=True, blank=True)
    in_force_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["plan", "-number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="unique_plan_version")]

    def __str__(self) -> str:
        return f"{self.plan} v{self.number}"

    @property
    def is_frozen(self) -> bool:
        return self.status in (self.Status.APPROVED, self.Status.PUBLISHED)


class PlanComment(models.Model):
    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.author}: {self.text[:40]}"


class PlanAttachment(models.Model):
    """A PDF attached to a version (a floor plan, an evacuation map), checked by its content."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="attachments")
    name = models.CharField(max_length=200)
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "pk"]

    def __str__(self) -> str:
        return self.name


class Acknowledgement(models.Model):
    """A guard read a version in force."""

    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="acknowledgements")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["version", "user"], name="unique_acknowledgement")]

    def __str__(self) -> str:
        return f"{self.user} read {self.version}"


class Drill(models.Model):
    """An exercise at a site in a time window, run with both sides (HSEEP's exercise): what is filed
    in it is marked EXERCISE everywhere; when the window closes its debrief is drafted."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="drills")
    scenario = models.CharField(max_length=20, choices=Scenario.choices)
    title = models.CharField(max_length=200)
    objectives = models.TextField()
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    mark_participants = models.BooleanField(
        "mark participants' reports",
        default=False,
        help_text="Reports a participant files at the site during the window are part of the drill.",
    )
    participants = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="drills", blank=True)
    scheduled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True, help_text="When its window was closed.")

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="drill_window")
        ]
        indexes = [models.Index(fields=["site", "starts_at", "ends_at"], name="drill_site_window")]

    def __str__(self) -> str:
        return self.title


class Briefing(models.Model):
    """A joint meeting of a provider and an agency (recurring), with its agenda, minutes and decisions."""

    class Recurrence(models.TextChoices):
        NONE = "", "Once"
        WEEKLY = "WEEKLY", "Weekly"
        MONTHLY = "MONTHLY", "Monthly"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    provider = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    starts_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField(default=60)
    recurrence = models.CharField(max_length=8, choices=Recurrence.choices, blank=True, default="")
    location = models.CharField(max_length=200, blank=True)
    sites = models.ManyToManyField("accounts.Site", blank=True, related_name="+")
    agenda = models.TextField(blank=True)
    minutes = models.TextField(blank=True)
    minutes_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sequence = models.PositiveIntegerField(default=0, help_text="iCalendar SEQUENCE: bumped by a change.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_at"]

    def __str__(self) -> str:
        return self.title


class Attendee(models.Model):
    class Rsvp(models.TextChoices):
        PENDING = "pending", "No answer yet"
        YES = "yes", "Attending"
        MAYBE = "maybe", "Maybe"
        NO = "no", "Not attending"

    briefing = models.ForeignKey(Briefing, on_delete=models.CASCADE, related_name="attendees")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    rsvp = models.CharField(max_length=8, choices=Rsvp.choices, default=Rsvp.PENDING)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["briefing", "user"], name="unique_attendee")]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_rsvp_display()}"


class Decision(models.Model):
    """What a briefing decided; it may become a corrective action with an owner from either side
    (kept and tracked to done by debriefs, with every other corrective action)."""

    class Status(models.TextChoices):
        DECIDED = "decided", "Decided"
        OPEN = "open", "Corrective action"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    briefing = models.ForeignKey(Briefing, on_delete=models.CASCADE, related_name="decisions")
    text = models.TextField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DECIDED)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="briefing_actions",
    )
    due_date = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.text[:60]


class CommunityEvent(models.Model):
    """A workshop, safety fair or open house run jointly, with a public registration page."""

    class Kind(models.TextChoices):
        WORKSHOP = "workshop", "Workshop"
        SAFETY_FAIR = "safety_fair", "Safety fair"
        OPEN_HOUSE = "open_house", "Open house"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    provider = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    title = models.CharField(max_length=200)
    description = models.TextField()
    site = models.ForeignKey(
        "accounts.Site", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    address = models.CharField(max_length=300, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    capacity = models.PositiveIntegerField()
    hosts = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    # Once the residents' data is deleted, what is left are the counts.
    residents_deleted_at = models.DateTimeField(null=True, blank=True)
    registered_count = models.PositiveIntegerField(default=0)
    attended_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="event_window"),
            models.CheckConstraint(condition=~Q(site=None) | ~Q(address=""), name="event_has_a_place"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def place(self) -> str:
        site = self.site
        if site is not None:
            return f"{site.name}, {site.address}" if site.address else site.name
        return self.address


class Registration(models.Model):
    """A resident's registration: only the name and email asked for, deleted after the event."""

    event = models.ForeignKey(CommunityEvent, on_delete=models.CASCADE, related_name="registrations")
    name = models.CharField(max_length=120)
    email = models.EmailField()
    created_at = models.DateTimeField(auto_now_add=True)
    attended = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["event", "email"], name="unique_registration")]

    def __str__(self) -> str:
        return f"Registration {self.pk} for {self.event}"
