"""Police-to-site bulletins (BOLO, "be on the lookout"), their read receipts and the sightings
guards answer with. Shaped on CAP 1.2: each version is a message (Alert, then Update or Cancel)
of one bulletin's series, with its status (Actual, Exercise, Test)."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from incidents.models import evidence_storage


class Bulletin(models.Model):
    """One version of a bulletin. Publishing, updating and cancelling each write a new version of
    the same series; the older one is superseded (kept, and shown as such)."""

    class Kind(models.TextChoices):
        PERSON = "person", "Person"
        VEHICLE = "vehicle", "Vehicle"
        PROPERTY = "property", "Property"
        ADVISORY = "advisory", "Advisory"

    class MsgType(models.TextChoices):
        ALERT = "Alert", "Alert"
        UPDATE = "Update", "Update"
        CANCEL = "Cancel", "Cancellation"

    class Status(models.TextChoices):
        ACTUAL = "Actual", "Actual"
        EXERCISE = "Exercise", "Exercise"
        TEST = "Test", "Test"

    class Audience(models.TextChoices):
        ALL = "all", "Every partnered provider's sites"
        PROVIDERS = "providers", "The sites of chosen providers"
        SITES = "sites", "Chosen sites"

    class Urgency(models.TextChoices):
        IMMEDIATE = "Immediate", "Immediate"
        EXPECTED = "Expected", "Expected"
        FUTURE = "Future", "Future"

    class Severity(models.TextChoices):
        EXTREME = "Extreme", "Extreme"
        SEVERE = "Severe", "Severe"
        MODERATE = "Moderate", "Moderate"
        MINOR = "Minor", "Minor"

    class Certainty(models.TextChoices):
        OBSERVED = "Observed", "Observed"
        LIKELY = "Likely", "Likely"
        POSSIBLE = "Possible", "Possible"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    series = models.UUIDField(default=uuid.uuid4, db_index=True, help_text="The same for every version.")
    version = models.PositiveIntegerField(default=1)
    msg_type = models.CharField(max_length=8, choices=MsgType.choices, default=MsgType.ALERT)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTUAL)
    agency = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="bulletins")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    title = models.CharField(max_length=140)
    description = models.TextField()
    plate = models.CharField(max_length=20, blank=True)
    last_seen_where = models.CharField(max_length=200, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    do_text = models.TextField("what to do", blank=True)
    dont_text = models.TextField("what not to do", blank=True)
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.EXPECTED)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MODERATE)
    certainty = models.CharField(max_length=10, choices=Certainty.choices, default=Certainty.LIKELY)
    expires_at = models.DateTimeField()
    audience = models.CharField(max_length=16, choices=Audience.choices, default=Audience.ALL)
    chosen_providers = models.ManyToManyField("accounts.Organization", blank=True, related_name="+")
    sites = models.ManyToManyField(
        "accounts.Site", related_name="bulletins", help_text="The sites it reached (resolved at publishing)."
    )
    change_note = models.TextField(blank=True, help_text="What an update or a cancellation changed, and why.")
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField()
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-published_at"]
        constraints = [
            models.UniqueConstraint(fields=["series", "version"], name="unique_bulletin_version"),
            models.UniqueConstraint(
                fields=["series"],
                condition=Q(superseded_at__isnull=True),
                name="one_current_bulletin_version",
            ),
        ]
        indexes = [models.Index(fields=["agency", "expires_at"], name="bulletin_agency_expiry")]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"

    def get_absolute_url(self) -> str:
        return reverse("bulletins:detail", kwargs={"bulletin_id": self.public_id})

    @property
    def is_current(self) -> bool:
        return self.superseded_at is None

    @property
    def is_cancelled(self) -> bool:
        return self.msg_type == self.MsgType.CANCEL

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_live(self) -> bool:
        """On the sites' live lists: the current version, not cancelled, not expired."""
        return self.is_current and not self.is_cancelled and not self.is_expired


class ReadReceipt(models.Model):
    """A person marked one version of a bulletin read, at one of their sites."""

    bulletin = models.ForeignKey(Bulletin, on_delete=models.CASCADE, related_name="receipts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    site = models.ForeignKey("accounts.Site", on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField()

    class Meta:
        ordering = ["read_at"]
        constraints = [models.UniqueConstraint(fields=["bulletin", "user"], name="unique_bulletin_receipt")]

    def __str__(self) -> str:
        return f"{self.user} read {self.bulletin_id} at {self.read_at:%H:%M}"


class Sighting(models.Model):
    """A guard's "sighted" answer: the incident it filed, escalated to the publishing agency."""

    bulletin = models.ForeignKey(Bulletin, on_delete=models.PROTECT, related_name="sightings")
    incident = models.OneToOneField("incidents.Incident", on_delete=models.PROTECT, related_name="sighting")
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Sighting of {self.bulletin_id}: {self.incident_id}"


class BulletinPhoto(models.Model):
    """A photo a liaison attached to a version (publishing or updating), kept as evidence is:
    checked by its content, stored outside any public URL under a random name, its SHA-256 taken
    on arrival. A version shows its own photos and those of the versions before it."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    bulletin = models.ForeignKey(Bulletin, on_delete=models.CASCADE, related_name="photos")
    series = models.UUIDField(db_index=True, help_text="The bulletin's series (every version shows it).")
    name = models.CharField(max_length=150)
    file = models.FileField(storage=evidence_storage, upload_to="bulletin-photos/%Y/%m/", max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.bulletin_id})"
