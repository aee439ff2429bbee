"""Patrols: shifts, checkpoints, tours and their rounds, scans, lone-worker check-ins and their
alerts, daily activity reports and the site's client contacts."""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Site

# Printed under each QR code and typed when the camera cannot read it: no 0/O, 1/I/L.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_PREFIX = "watchpost:checkpoint:"


def new_checkpoint_code() -> str:
    """A random short text (10 characters, about 50 bits): never an id that can be guessed."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


class PatrolSettings(models.Model):
    """A site's patrol rules: lone-worker check-ins, the alert ladder, the clock-skew threshold."""

    site = models.OneToOneField("accounts.Site", on_delete=models.CASCADE, related_name="patrol_settings")
    checkin_minutes = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="A lone worker checks in every N minutes; empty: no check-ins."
    )
    checkin_grace_minutes = models.PositiveSmallIntegerField(default=5)
    ladder_step_minutes = models.PositiveSmallIntegerField(
        default=5, help_text="Minutes between the ladder's steps: the guard, the supervisors, the agency."
    )
    escalate_to_agency = models.BooleanField(
        default=False, help_text="The ladder's last step tells the partnering agency (panic-grade)."
    )
    skew_threshold_seconds = models.PositiveIntegerField(
        default=120, help_text="A device clock further off than this is shown on the scan and the report."
    )

    class Meta:
        verbose_name_plural = "patrol settings"

    def __str__(self) -> str:
        return f"Patrol settings of {self.site}"


class ClientContact(models.Model):
    """Someone at the site's client who receives its daily activity reports by email."""

    site = models.ForeignKey("accounts.Site", on_delete=models.CASCADE, related_name="client_contacts")
    name = models.CharField(max_length=150)
    email = models.EmailField()
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["site", "name"]
        constraints = [models.UniqueConstraint(fields=["site", "email"], name="unique_client_contact")]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class Checkpoint(models.Model):
    """A place on a site a guard scans on a tour; its QR code carries a random code."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    site = models.ForeignKey("accounts.Site", on_delete=models.CASCADE, related_name="checkpoints")
    name = models.CharField(max_length=120)
    floor = models.CharField(max_length=40, blank=True)
    area = models.CharField(max_length=120, blank=True)
    instructions = models.TextField(blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    code = models.CharField(max_length=11, unique=True, default=new_checkpoint_code, editable=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["site", "name"]
        constraints = [models.UniqueConstraint(fields=["site", "name"], name="unique_checkpoint_name")]

    def __str__(self) -> str:
        return f"{self.name} ({self.site})"

    @property
    def qr_text(self) -> str:
        return f"{CODE_PREFIX}{self.code}"

    @property
    def where(self) -> str:
        return ", ".join(part for part in (self.floor, self.area) if part)


class Tour(models.Model):
    """An ordered or unordered set of a site's checkpoints, walked every N minutes of a shift or at
    set times, with a tolerance after which a round is missed."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    site = models.ForeignKey("accounts.Site", on_delete=models.CASCADE, related_name="tours")
    name = models.CharField(max_length=120)
    ordered = models.BooleanField(default=False, help_text="The checkpoints must be scanned in order.")
    interval_minutes = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="A round every N minutes of the shift (or set times)."
    )
    times = models.JSONField(
        default=list, blank=True, help_text='Set times in the site\'s zone: ["22:00", …].'
    )
    tolerance_minutes = models.PositiveSmallIntegerField(default=10)
    checkpoints = models.ManyToManyField(Checkpoint, through="TourStop", related_name="tours")
    agency = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="joint_tours",
        help_text="Planned with the site's partnering agency: a joint patrol its liaisons follow live.",
    )
    officers = models.CharField(
        max_length=300, blank=True, help_text="The police officers taking part in the joint patrol."
    )
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["site", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.site})"

    @property
    def is_joint(self) -> bool:
        return self.agency_id is not None

    @property
    def area(self) -> list[Site]:
        """The sites the tour walks: its own first, then those of its other checkpoints (a joint
        patrol's area), by name."""
        others = {
            stop.checkpoint.site for stop in self.stops.all() if stop.checkpoint.site_id != self.site_id
        }
        return [self.site, *sorted(others, key=lambda found: found.name)]

    @property
    def schedule(self) -> str:
        if self.interval_minutes:
            return f"every {self.interval_minutes} min"
        return "at " + ", ".join(self.times) if self.times else "no schedule"


class TourStop(models.Model):
    tour = models.ForeignKey(Tour, on_delete=models.CASCADE, related_name="stops")
    checkpoint = models.ForeignKey(Checkpoint, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["tour", "position"]
        constraints = [
            models.UniqueConstraint(fields=["tour", "position"], name="unique_tour_position"),
            models.UniqueConstraint(fields=["tour", "checkpoint"], name="unique_tour_checkpoint"),
        ]

    def __str__(self) -> str:
        return f"{self.tour} #{self.position}"


class Shift(models.Model):
    """A guard on duty at one site, from start to end; scans, check-ins and incidents in between
    belong to it."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    guard = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="shifts")
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="shifts")
    started_at = models.DateTimeField()
    planned_end_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    start_reason = models.CharField(max_length=300, blank=True, help_text="Why a supervisor started it.")
    end_reason = models.CharField(max_length=300, blank=True, help_text="Why a supervisor ended it.")
    start_latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    start_longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    end_latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    end_longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    notes = models.TextField(blank=True, help_text="The guard's notes for the daily activity report.")
    last_checkin_at = models.DateTimeField(null=True, blank=True)
    overdue_alerted_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the site's supervisors were told it was left open past its end.",
    )

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["guard"], condition=Q(ended_at__isnull=True), name="one_open_shift_per_guard"
            )
        ]
        indexes = [models.Index(fields=["site", "ended_at"], name="shift_site_open")]

    def __str__(self) -> str:
        return f"{self.guard} at {self.site} from {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None

    @property
    def is_overdue(self) -> bool:
        """Left open past its planned end."""
        return self.ended_at is None and self.planned_end_at < timezone.now()


class TourRound(models.Model):
    """One walk of a tour due during a shift: a row, so the missed-round timer survives restarts."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ON_TIME = "on_time", "Completed on time"
        LATE = "late", "Completed late"
        MISSED = "missed", "Missed"

    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="rounds")
    tour = models.ForeignKey(Tour, on_delete=models.CASCADE, related_name="rounds")
    starts_at = models.DateTimeField()
    due_at = models.DateTimeField()
    deadline_at = models.DateTimeField(help_text="Due plus the tour's tolerance: after it, missed.")
    completed_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    missed_alerted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["shift", "tour", "due_at"], name="unique_tour_round")]
        indexes = [models.Index(fields=["status", "deadline_at"], name="round_due")]

    def __str__(self) -> str:
        return f"{self.tour} due {self.due_at:%H:%M} ({self.status})"


class Scan(models.Model):
    """One scan of a code by a guard, accepted or refused: device and server times, place, shift."""

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        REFUSED = "refused", "Refused"

    class Method(models.TextChoices):
        CAMERA = "camera", "Camera"
        TYPED = "typed", "Typed code"
        API = "api", "API"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    guard = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, null=True, blank=True, related_name="scans")
    checkpoint = models.ForeignKey(
        Checkpoint, on_delete=models.SET_NULL, null=True, blank=True, related_name="scans"
    )
    code = models.CharField(max_length=120, help_text="What was read or typed.")
    method = models.CharField(max_length=8, choices=Method.choices, default=Method.TYPED)
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    refusal = models.CharField(max_length=200, blank=True)
    device_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField()
    skew_seconds = models.IntegerField(null=True, blank=True, help_text="Device time minus server time.")
    skew_flagged = models.BooleanField(default=False)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    idempotency_key = models.CharField(max_length=64)

    class Meta:
        ordering = ["received_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["guard", "idempotency_key"], name="unique_scan_key")]

    def __str__(self) -> str:
        return f"{self.code} by {self.guard} ({self.outcome})"


class RoundVisit(models.Model):
    """A checkpoint of a round, visited by a scan."""

    round = models.ForeignKey(TourRound, on_delete=models.CASCADE, related_name="visits")
    checkpoint = models.ForeignKey(Checkpoint, on_delete=models.CASCADE, related_name="+")
    scan = models.ForeignKey(Scan, on_delete=models.CASCADE, related_name="visits")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "checkpoint"], name="unique_round_visit")]

    def __str__(self) -> str:
        return f"{self.round} visited by {self.scan}"


class CheckIn(models.Model):
    """A lone worker's one-tap "I'm OK"."""

    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="checkins")
    device_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField()
    skew_seconds = models.IntegerField(null=True, blank=True)
    skew_flagged = models.BooleanField(default=False)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    idempotency_key = models.CharField(max_length=64)

    class Meta:
        ordering = ["received_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["shift", "idempotency_key"], name="unique_checkin_key")
        ]

    def __str__(self) -> str:
        return f"Check-in at {self.received_at:%H:%M}"


class LoneWorkerAlert(models.Model):
    """A missed check-in climbing its ladder (0: the guard, 1: the supervisors, 2: the agency) until
    someone other than the guard acknowledges it. ``next_step_at`` is the timer, a row."""

    class Step(models.IntegerChoices):
        GUARD = 0, "The guard"
        SUPERVISORS = 1, "The supervisors"
        AGENCY = 2, "The partnering agency"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="alerts")
    due_at = models.DateTimeField(help_text="When the missed check-in was due.")
    raised_at = models.DateTimeField()
    step = models.PositiveSmallIntegerField(choices=Step.choices, default=Step.GUARD)
    next_step_at = models.DateTimeField(null=True, blank=True, help_text="Empty: the ladder has run out.")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_by_checkin_at = models.DateTimeField(
        null=True, blank=True, help_text="The guard checked in before anyone else was told."
    )

    class Meta:
        ordering = ["-raised_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["shift", "due_at"], name="unique_missed_checkin")]
        indexes = [models.Index(fields=["acknowledged_at", "next_step_at"], name="loneworker_due")]

    def __str__(self) -> str:
        return f"Missed check-in of {self.shift.guard} due {self.due_at:%H:%M}"

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None and self.resolved_by_checkin_at is None


class DailyReport(models.Model):
    """A daily activity report: of one shift (at its end), or of a site and day (on demand). Built
    by a worker; the page and the PDF come from one template."""

    class Status(models.TextChoices):
        GENERATING = "generating", "Generating"
        READY = "ready", "Ready for review"
        REVIEWED = "reviewed", "Reviewed"
        FAILED = "failed", "Failed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="daily_reports")
    day = models.DateField(help_text="The site's day (its zone).")
    shift = models.OneToOneField(
        Shift, on_delete=models.CASCADE, null=True, blank=True, related_name="daily_report"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.GENERATING)
    content = models.JSONField(default=dict, help_text="What the report says, as built.")
    pdf = models.FileField(upload_to="patrols/reports/%Y/%m/", blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    generated_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-day", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "day"], condition=Q(shift__isnull=True), name="one_site_day_report"
            )
        ]

    def __str__(self) -> str:
        what = f"shift of {self.shift.guard}" if self.shift_id and self.shift else "site day"
        return f"Daily activity report {self.site} {self.day} ({what})"


class ReportSend(models.Model):
    """A daily activity report emailed to a client contact: each send is listed and audited."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    report = models.ForeignKey(DailyReport, on_delete=models.CASCADE, related_name="sends")
    contact = models.ForeignKey(ClientContact, on_delete=models.PROTECT, related_name="+")
    address = models.EmailField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.report} to {self.address} ({self.state})"
