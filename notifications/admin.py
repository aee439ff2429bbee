from django.contrib import admin

from incidents.admin import ReadOnlyAdmin
from notifications.models import (
    DeliveryAttempt,
    EscalationPolicy,
    EscalationTimer,
    Notification,
    NotificationProfile,
    OutboxMessage,
    PolicyStep,
    WebhookEndpoint,
)


class PolicyStepInline(admin.TabularInline):
    model = PolicyStep
    fields = ["position", "delay_seconds", "target", "person", "channels", "required_channels"]
    autocomplete_fields = ["person"]
    extra = 0


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(admin.ModelAdmin):
    """Org admins edit their policies in the portal; platform admins may look and fix here."""

    list_display = ["name", "organization", "site", "is_active", "updated_at", "updated_by"]
    list_filter = ["is_active", "organization"]
    inlines = [PolicyStepInline]
    readonly_fields = ["updated_at", "updated_by"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "url", "is_active", "created_at"]
    list_filter = ["is_active", "organization"]
    exclude = ["secret"]  # shown to the organization's admins in the portal only


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    fields = ["number", "at", "ok", "status_code", "duration_ms", "detail"]
    readonly_fields = ["number", "at", "ok", "status_code", "duration_ms", "detail"]
    extra = 0
    can_delete = False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    """The outbox changes only through its services: the admin reads it to see what happened."""

    list_display = [
        "created_at",
        "kind",
        "channel",
        "recipient_label",
        "state",
        "attempts",
        "next_attempt_at",
    ]
    list_filter = ["state", "channel", "kind"]
    search_fields = ["idempotency_key", "recipient_label", "incident__reference"]
    inlines = [DeliveryAttemptInline]


@admin.register(EscalationTimer)
class EscalationTimerAdmin(ReadOnlyAdmin):
    list_display = ["key", "due_at", "state", "closed_at", "note"]
    list_filter = ["state"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "recipient", "title", "read_at"]
    search_fields = ["recipient__email", "title"]


@admin.register(NotificationProfile)
class NotificationProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "on_duty", "duty_changed_at", "phone"]
    list_filter = ["on_duty"]
    search_fields = ["user__email"]
