"""Notifications: escalation policies, webhook endpoints, the outbox, timers and the in-app inbox."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from dispatch.models import VerificationLevel


class Channel(models.TextChoices):
    IN_APP = "in_app", "In-app"
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    WEBHOOK = "webhook", "Webhook"


PERSON_CHANNELS = (Channel.IN_APP, Channel.EMAIL, Channel.SMS)


class Kind(models.TextChoices):
    """What a notification is about; people choose channels per kind."""

    PAGE = "page", "Escalation waiting for acceptance"
    UPDATE = "escalation_update", "Escalation status changes"
    MESSAGE = "message", "Messages on incidents"
    TEST = "test", "Test event"
    INVITATION = "invitation", "Invitation to join"
    PANIC = "panic", "PANIC at one of our sites"
    REPORT = "report", "New reports to triage"
    INFO_REQUEST = "info_request", "Questions about my reports"
    DEBRIEF = "debrief", "Debriefs waiting for me"
    ACTION = "action", "Corrective actions due or overdue"
    REMINDER = "reminder", "Accepted escalations with no police update"
    BULLETIN = "bulletin", "Police bulletins (BOLO) for my sites"
    EXHAUSTED = "exhausted", "Alerts nobody acknowledged (always sent, on every channel)"
    CANARY = "canary", "The delivery canary (a test through one channel)"
    PATROL = "patrol", "Missed checkpoints and lone-worker check-ins"
    INTEGRITY = "integrity", "Evidence whose stored copy changed"
    PARTNERSHIP_REPORT = "partnership_report", "Monthly partnership report (always sent, in-app and by email)"
    ACCESS = "access", "Unusual access to personal data by our people (always sent, in-app and by email)"


# What people choose channels for (the settings page shows each person the kinds of their role).
PREFERENCE_KINDS = (
    Kind.PANIC,
    Kind.PAGE,
    Kind.UPDATE,
    Kind.MESSAGE,
    Kind.REPORT,
    Kind.INFO_REQUEST,
    Kind.DEBRIEF,
    Kind.ACTION,
    Kind.REMINDER,
    Kind.BULLETIN,
    Kind.PATROL,
    Kind.INTEGRITY,
)
# What a webhook endpoint may subscribe to.
WEBHOOK_KINDS = (Kind.PAGE, Kind.UPDATE, Kind.MESSAGE)


class Target(models.TextChoices):
    """Who one step of an escalation policy notifies."""

    ON_DUTY_LIAISONS = "on_duty_liaisons", "The agency's on-duty liaisons"
    PROVIDER_SUPERVISORS = "provider_supervisors", "The provider's supervisors"
    ORG_ADMINS = "org_admins", "Our organization's admins"
    PERSON = "person", "One person"
    WEBHOOKS = "webhooks", "Our webhook endpoints (paging, CAD)"


class EscalationPolicy(models.Model):
    """An organization's chain of notifications for a new escalation, optionally for one site.

    The agency's policy pages its people; a provider's policy (optional) pages its own. Each runs
    until the escalation is accepted, rejected or cancelled."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="escalation_policies"
    )
    site = models.ForeignKey(
        "accounts.Site",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="Only for this site; empty: every site without a policy of its own.",
    )
    name = models.CharField(max_length=100)
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["organization", "site", "name"]
        verbose_name_plural = "escalation policies"
        constraints = [
            models.UniqueConstraint(
                fields=["organization"], condition=Q(site__isnull=True), name="one_default_policy_per_org"
            ),
            models.UniqueConstraint(fields=["organization", "site"], name="one_policy_per_org_site"),
        ]

    def __str__(self) -> str:
        return f"{self.organization}: {self.name}"


class PolicyStep(models.Model):
    """One step: after ``delay_seconds`` from the request, if nobody has accepted, notify ``target``."""

    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    delay_seconds = models.PositiveIntegerField(default=0)
    target = models.CharField(max_length=32, choices=Target.choices)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    channels = models.JSONField(default=list, help_text="Channels used: in_app, email, sms.")
    required_channels = models.JSONField(
        default=list, help_text="Channels sent whatever the person's own preferences say."
    )

    class Meta:
        ordering = ["policy", "position"]
        constraints = [models.UniqueConstraint(fields=["policy", "position"], name="unique_step_position")]

    def __str__(self) -> str:
        return f"{self.policy} #{self.position} after {self.delay_seconds}s: {self.get_target_display()}"


class LevelPaging(models.Model):
    """An agency's choice for one AVS-01-shaped verification level: whether an escalation requested
    at that level pages every step of the agency's policy at once, or climbs its ladder (each step
    after its delay). A level without a row climbs the ladder."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="level_paging"
    )
    level = models.PositiveSmallIntegerField(choices=VerificationLevel.choices)
    page_at_once = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["organization", "level"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "level"], name="one_paging_rule_per_level")
        ]

    def __str__(self) -> str:
        return f"{self.organization}: level {self.level} {'at once' if self.page_at_once else 'ladder'}"


class WebhookEndpoint(models.Model):
    """An organization's system (CAD, paging) that receives signed JSON events."""

    class Format(models.TextChoices):
        WATCHPOST = "watchpost", "Watchpost events (JSON envelope)"
        EIDO = "eido", "NENA EIDO (the incident as an Emergency Incident Data Object)"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=80, help_text="Signs every request (HMAC-SHA256).")
    events = models.JSONField(default=list, help_text="Kinds sent: page, escalation_update, message.")
    format = models.CharField(
        max_length=10,
        choices=Format.choices,
        default=Format.WATCHPOST,
        help_text="The body's shape: Watchpost's envelope, or the incident as a NENA-STA-021 EIDO.",
    )
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organization", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.organization})"


class Via(models.TextChoices):
    """How a person acknowledged an alert."""

    OPENED = "opened", "opened the incident"
    MESSAGE = "message", "tapped acknowledge in the message"
    INBOX = "inbox", "acknowledged in the inbox"
    BOARD = "board", "accepted on the board"


class Alert(models.Model):
    """Something a person must confirm they have seen: an escalation's pages or a panic's alert.

    Every message sent for it points here; the first person to acknowledge wins (one conditional
    update), and the ladder climbs until someone does. An alert whose ladder ran out without an
    acknowledgement is ``exhausted``: it was broadcast to the organizations' admins and supervisors."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=24, choices=Kind.choices)
    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="+")
    escalation = models.ForeignKey(
        "dispatch.Escalation", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who raised it (the guard who pressed a panic): never the one to acknowledge it.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    acknowledged_via = models.CharField(max_length=16, choices=Via.choices, blank=True)
    exhausts_at = models.DateTimeField(
        help_text="When the ladder has run out: unacknowledged then, it is broadcast (never silently ended)."
    )
    exhausted_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(
        null=True, blank=True, help_text="No longer waits: rejected, withdrawn, cancelled by the guard."
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["incident", "acknowledged_at"], name="alert_incident"),
            models.Index(
                fields=["exhausts_at"],
                name="alert_exhausts",
                condition=Q(acknowledged_at__isnull=True, exhausted_at__isnull=True, closed_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.key

    @property
    def is_acknowledged(self) -> bool:
        return self.acknowledged_at is not None


class OutboxMessage(models.Model):
    """One notification to send on one channel, written in the transaction of the change that causes it.

    pending → sending → delivered; a failed try goes back to pending with a later
    ``next_attempt_at`` until the last attempt, then failed. Cancelled: a page stopped by acceptance.
    Skipped: nothing to send it through (SMS not configured, no mobile number, endpoint off)."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"
        SKIPPED = "skipped", "Skipped"

    FINAL = (State.DELIVERED, State.FAILED, State.CANCELLED, State.SKIPPED)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=24, choices=Kind.choices)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.SET_NULL, null=True, blank=True, related_name="messages"
    )
    address = models.EmailField(
        blank=True, help_text="An email's address when it is for no account yet (an invitee)."
    )
    recipient_label = models.CharField(max_length=200, help_text="Who, as the log shows it.")
    escalation = models.ForeignKey(
        "dispatch.Escalation", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    alert = models.ForeignKey(
        Alert,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
        help_text="The alert this message asks someone to acknowledge.",
    )
    reason = models.CharField(max_length=200, blank=True, help_text="Why it was sent (policy step, event).")
    payload = models.JSONField(default=dict)
    idempotency_key = models.CharField(max_length=200, unique=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField()
    lease_until = models.DateTimeField(
        null=True, blank=True, help_text="Queued or being sent until then; after it, the sweeper retries."
    )
    claimed_by = models.CharField(max_length=64, blank=True, help_text="The task id sending it.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(
        null=True, blank=True, help_text="In-app: the person's open page confirmed it arrived (socket)."
    )

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="outbox_due"),
            models.Index(fields=["incident", "created_at"], name="outbox_incident"),
            models.Index(fields=["escalation", "kind", "state"], name="outbox_escalation"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.get_channel_display()} to {self.recipient_label}"

    @property
    def is_final(self) -> bool:
        return self.state in self.FINAL

    @property
    def receipt(self) -> str:
        """Queued, sent, delivered or acknowledged (or the outbox's own final word: failed,
        cancelled, skipped). In-app is sent once it is in the inbox and delivered when an open page
        said it arrived; SMTP acceptance, a webhook's 2xx and an SMS provider's acceptance are
        delivery (those channels tell no more)."""
        alert = self.alert
        if (
            alert is not None
            and alert.acknowledged_by_id is not None
            and alert.acknowledged_by_id == self.recipient_id
        ):
            return Receipt.ACKNOWLEDGED
        if self.state in (self.State.PENDING, self.State.SENDING):
            return Receipt.QUEUED
        if self.state != self.State.DELIVERED:
            return str(self.state)
        if self.channel == Channel.IN_APP and self.received_at is None:
            return Receipt.SENT
        return Receipt.DELIVERED


class Receipt(models.TextChoices):
    """Where one message to one person stands, from the outbox to the person."""

    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"


class DeliveryAttempt(models.Model):
    """One try at sending an outbox message: the delivery log (per endpoint, per incident)."""

    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="delivery_attempts")
    number = models.PositiveSmallIntegerField()
    at = models.DateTimeField()
    ok = models.BooleanField()
    duration_ms = models.PositiveIntegerField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    detail = models.TextField(blank=True, help_text="The error, or what the receiver answered.")

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.message} try {self.number}: {'ok' if self.ok else 'failed'}"


class EscalationTimer(models.Model):
    """A later step of a policy, due at a time: a row, so it survives restarts. Fired by beat."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        FIRED = "fired", "Fired"
        CANCELLED = "cancelled", "Cancelled"

    escalation = models.ForeignKey("dispatch.Escalation", on_delete=models.CASCADE, related_name="timers")
    key = models.CharField(max_length=200, unique=True)
    plan = models.JSONField(help_text="The step as it was when the escalation was requested.")
    due_at = models.DateTimeField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    closed_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["due_at", "pk"]
        indexes = [models.Index(fields=["state", "due_at"], name="timer_due")]

    def __str__(self) -> str:
        return f"{self.key} due {self.due_at:%H:%M:%S} ({self.state})"


class Notification(models.Model):
    """An in-app notification: the in-app channel's delivery of one outbox message."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    message = models.OneToOneField(OutboxMessage, on_delete=models.CASCADE, related_name="notification")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return f"{self.title} → {self.recipient}"


class NotificationProfile(models.Model):
    """A person's duty status and mobile number. No row: on duty, no number."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_profile"
    )
    on_duty = models.BooleanField(default=True)
    duty_changed_at = models.DateTimeField(null=True, blank=True)
    phone = models.CharField(
        "mobile number", max_length=20, blank=True, help_text="International format, e.g. +447700900123."
    )

    def __str__(self) -> str:
        return f"{self.user} ({'on' if self.on_duty else 'off'} duty)"


class ChannelPreference(models.Model):
    """A person's choice for one kind of notification on one channel. No row: the default."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    enabled = models.BooleanField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "channel"], name="unique_channel_preference")
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind} by {self.channel} {'on' if self.enabled else 'off'}"


class SentReminder(models.Model):
    """A reminder that went out (a corrective action due or overdue, an accepted escalation left
    without a police update): the record that keeps a periodic sweep from sending it twice."""

    key = models.CharField(max_length=200, unique=True)
    sent_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.key


class Heartbeat(models.Model):
    """The last time a periodic signal was seen (beat's tick, a worker queue's pong, the canary)."""

    name = models.CharField(max_length=100, unique=True)
    at = models.DateTimeField()
    detail = models.JSONField(default=dict)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} at {self.at:%H:%M:%S}"


CHANNEL_LABELS = dict(Channel.choices)
