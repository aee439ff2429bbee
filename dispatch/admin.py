from django.contrib import admin

from dispatch.models import Escalation, EscalationRule
from incidents.admin import ReadOnlyAdmin


@admin.register(EscalationRule)
class EscalationRuleAdmin(admin.ModelAdmin):
    """A site's rule: reports of these categories, or this severe, escalate by themselves."""

    list_display = ["site", "max_severity", "is_active"]
    list_filter = ["is_active"]
    autocomplete_fields = ["site"]
    filter_horizontal = ["categories"]


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdmin):
    list_display = ["incident", "agency", "status", "source", "requested_at", "accepted_at", "cleared_at"]
    list_filter = ["status", "source", "agency"]
    search_fields = ["incident__reference", "case_number"]
