from django.contrib import admin

from incidents.admin import ReadOnlyAdmin
from patrols.models import ClientContact, DailyReport, PatrolSettings, Shift


@admin.register(PatrolSettings)
class PatrolSettingsAdmin(admin.ModelAdmin):
    """A site's lone-worker check-ins, its alert ladder and its clock-skew threshold."""

    list_display = [
        "site",
        "checkin_minutes",
        "checkin_grace_minutes",
        "ladder_step_minutes",
        "escalate_to_agency",
    ]
    autocomplete_fields = ["site"]


@admin.register(ClientContact)
class ClientContactAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "site", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "email", "site__name"]


@admin.register(Shift)
class ShiftAdmin(ReadOnlyAdmin):
    list_display = ["guard", "site", "started_at", "planned_end_at", "ended_at"]
    list_filter = ["site"]


@admin.register(DailyReport)
class DailyReportAdmin(ReadOnlyAdmin):
    list_display = ["site", "day", "shift", "status", "reviewed_at"]
    list_filter = ["status"]
